"""Where posts come from: the Source protocol and its kinds."""
