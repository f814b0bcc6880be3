"""The outbox and the Sender interface: plan, claim, send, mark."""
