"""The embedded TinyDB store: one writer per data folder."""
