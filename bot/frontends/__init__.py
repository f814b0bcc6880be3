"""Front ends: each turns platform events into Commands and Replies into platform messages."""
