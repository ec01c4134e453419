"""Hot statements sent by the database driver itself, on the session's connection.

For each statement it runs, SQLAlchemy builds a result object from the driver's column
descriptions: psycopg makes one description object per column on every execute, and
SQLAlchemy matches them to the statement's columns. For the few statements every request of
a hot route sends (a play start answers 29 columns) that is the largest single cost the app
adds to the statement (measured: BENCHMARKS.md, "Streaming").

A ``DriverStatement`` is compiled by SQLAlchemy once (the same ``text()``, the same bind
names), then each execution is sent by psycopg as a prepared statement on the session's own
connection, and its one row read by position into a named tuple made once.

Invariants (what stays as with ``Session.execute``):

- the transaction is the session's: the statement joins it, and commits or rolls back with
  the rest of the request;
- a driver error is handled by SQLAlchemy's own handler for the connection: wrapped in the
  same ``sqlalchemy.exc`` class (so ``app.core.outages`` answers 503 for a lost or overloaded
  database), and a lost connection invalidated (dropped from the pool, never reused);
- ``before_cursor_execute`` listeners see the statement (tests count statements with them);
- the names given to ``columns()`` are the statement's own: the first execution in each
  process compares them with the columns the server describes, and refuses a mismatch (a row
  read by position must not shift silently).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

_DIALECT = postgresql_psycopg.dialect()


class DriverStatement:
    """A ``text().columns(...)`` statement that answers at most one row, sent by the driver.

    Its column names are those given to ``columns()``, in the order the statement selects
    them (the row is read by position)."""

    def __init__(self, statement: TextualSelect) -> None:
        if not isinstance(statement, TextualSelect) or not isinstance(statement.element, TextClause):
            raise TypeError("a DriverStatement is a text() statement with its columns named (.columns(...))")
        # The dialect's own compilation: binds become %(name)s and a literal % is doubled.
        self.sql = str(statement.compile(dialect=_DIALECT))
        self.row = namedtuple("Row", [c.name for c in statement.selected_columns])  # type: ignore[misc]
        self._names_checked = False

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """The statement's first row (a named tuple), or None, in the session's transaction."""
        connection = session.connection()
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql, parameters = self.sql, params
        try:
            for listener in connection.dispatch.before_cursor_execute:
                sql, parameters = listener(connection, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters, prepare=True)
            described = None if self._names_checked else [column.name for column in cursor.description]
            row = cursor.fetchone()
        except Exception as error:
            # SQLAlchemy's handler for this connection, as its own execute would call it: it
            # wraps the error, invalidates a lost connection and always raises.
            connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        finally:
            cursor.close()
        if described is not None:
            self._check_names(described)
        return None if row is None else self.row._make(row)

    def _check_names(self, described: list[str]) -> None:
        if described != list(self.row._fields):
            raise RuntimeError(f"the statement's columns are {described}, not the names given {list(self.row._fields)}")
        self._names_checked = True
