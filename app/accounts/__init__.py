"""Accounts: users, sign-up and login, API tokens, user administration."""
