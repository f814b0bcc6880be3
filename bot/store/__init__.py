"""Where subscribers, deliveries, history and runs are kept."""
