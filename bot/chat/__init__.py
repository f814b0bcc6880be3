"""The platform-free command layer: commands, handlers, replies, views."""
