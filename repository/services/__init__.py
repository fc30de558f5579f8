"""Business rules. Views and CLI commands call these; they own the transactions."""
