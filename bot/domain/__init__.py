"""Pure domain: records, digest planning, schedules. No I/O, no platform."""
