"""One package per chat platform; none knows another."""
