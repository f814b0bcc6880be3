"""The chat commands, grouped by what they do."""
