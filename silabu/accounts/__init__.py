"""Accounts: users, units, roles, login, API tokens, acting verifiers (Plh/Plt)."""
