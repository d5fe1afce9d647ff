"""The scheduler process: which job runs when (jobs/scheduler.py). Each job calls a domain service."""
