"""Use cases that combine models, the ledger and the audio pipeline.

Services flush, never commit: the view that called them commits once, so a request either
writes everything or nothing.
"""
