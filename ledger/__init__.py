"""Money: pricing, allocation, transfers, balances and reconciliation.

A library the web layer calls. It imports SQLAlchemy, never Flask, and owns its tables.
"""
