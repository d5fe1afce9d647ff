"""The scheduler process: which job runs when. Each job calls a domain service."""
