"""Use cases of uploads: receiving an upload, processing it. They flush, never commit."""
