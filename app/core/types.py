"""Column types shared by the models (one source: ``ledger.types``, which the ledger uses too)."""

from ledger.types import UTCDateTime, str_enum, utcnow

__all__ = ["UTCDateTime", "str_enum", "utcnow"]
