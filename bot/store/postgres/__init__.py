"""The PostgreSQL store (``[store] backend = "postgresql"``): several instances, one database."""
