"""Use cases of governance. They flush, never commit."""
