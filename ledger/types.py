"""Column types and the constraint naming convention, shared with the web layer.

The web layer imports these from here (``app`` may import ``ledger``, never the reverse), so
the naming convention and the UTC datetime type have one source.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import BigInteger, Cast, ColumnElement, DateTime, Dialect, Enum, String, cast, func
from sqlalchemy.dialects.postgresql import DOMAIN
from sqlalchemy.types import TypeDecorator

from ledger import clock

# Stable constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, by the one clock (``ledger.clock``): the system's, or the one a test installed."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime: a naive value is refused or taken as UTC on the way in,
    and an aware UTC value always comes back, so comparisons with ``utcnow()`` hold.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use an aware UTC datetime")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(enum_cls: type[PyEnum], name: str) -> Enum:
    """A Python enum stored as its string values in a VARCHAR with a CHECK constraint
    (adding a value later is a plain constraint change). For the ledger's hot tables see
    ``DomainEnum``."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        values_callable=lambda members: [m.value for m in members],
    )


class DomainEnum(TypeDecorator[Any]):
    """A Python enum stored as its string values in a PostgreSQL domain: a VARCHAR whose
    CHECK lists the values (``create_all`` and ``drop_all`` create and drop the domain).

    The same rule as ``str_enum``'s, checked more cheaply: PostgreSQL reads a table's CHECK
    constraints again (their stored expression trees) for every statement that writes the
    table, the balance ``UPDATE`` that changes no kind included, while a domain's check is
    kept with the type and runs only where a value becomes that type (an insert, or an
    update that sets the column). A counted play's charge writes four ledger tables; with
    their kinds as domains it costs 9 % fewer instructions in the server (callgrind,
    BENCHMARKS.md).
    """

    impl = DOMAIN
    cache_ok = True
    operator_classes = String.operator_classes

    def __init__(self, enum_cls: type[PyEnum], name: str) -> None:
        self.enum_cls = enum_cls
        values = [member.value for member in enum_cls]
        super().__init__(
            name, String(max(map(len, values))), check="VALUE IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        )

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else self.enum_cls(value)


def int_sum(column: ColumnElement[Any] | Any) -> Cast[int]:
    """``SUM(column)`` as a BIGINT, 0 over no rows. (PostgreSQL sums BIGINTs as NUMERIC, which
    would reach Python as ``Decimal``; money stays ``int``.)"""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)
