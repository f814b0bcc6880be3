"""The console front end: the embedded default, no token."""
