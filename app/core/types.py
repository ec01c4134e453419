"""Column types and the clock for the web layer: the ledger's own (``ledger.types``), so the
naming convention, the UTC datetime type and ``utcnow`` (the one clock, ``ledger.clock``) have
one source."""

from ledger.types import UTCDateTime, str_enum, utcnow

__all__ = ["UTCDateTime", "str_enum", "utcnow"]
