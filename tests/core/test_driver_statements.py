"""``app.core.driver_statements``: a hot statement sent by psycopg on the session's
connection answers, writes and fails exactly as ``Session.execute`` would."""

from __future__ import annotations

import pytest
import sqlalchemy.exc
from sqlalchemy import column, create_engine, event, make_url, select, text

from app.accounts.models import User
from app.core import outages
from app.core.driver_statements import DriverStatement
from app.core.extensions import db
from tests.conftest import make_test_app
from tests.factories import make_user

_VALUES = text(
    "SELECT CAST(:n AS integer) + 1 AS n, now() AS at, CAST('1.50' AS numeric) AS amount,"
    " 'a%b' AS percent, CAST(NULL AS text) AS nothing"
).columns(column("n"), column("at"), column("amount"), column("percent"), column("nothing"))


def test_it_answers_the_row_sqlalchemy_answers(app_ctx):
    """The same values and types (a timestamp, a Decimal, a literal %, a NULL), by name."""
    by_sqlalchemy = db.session.execute(_VALUES, {"n": 41}).first()
    row = DriverStatement(_VALUES).first(db.session, {"n": 41})
    assert tuple(row) == tuple(by_sqlalchemy)
    assert [type(value) for value in row] == [type(value) for value in by_sqlalchemy]
    assert row.n == 42 and row.percent == "a%b" and row.nothing is None


def test_no_row_is_none(app_ctx):
    statement = DriverStatement(text("SELECT 1 AS one WHERE false").columns(column("one")))
    assert statement.first(db.session, {}) is None


def test_its_writes_belong_to_the_session_transaction(app_ctx):
    user = make_user(display_name="Before")
    rename = DriverStatement(
        text("UPDATE users SET display_name = :name WHERE id = :id RETURNING display_name").columns(
            column("display_name")
        )
    )
    assert rename.first(db.session, {"name": "During", "id": user.id}).display_name == "During"
    # The ORM, on the same session, sees the write before any commit...
    assert db.session.scalar(select(User.display_name).where(User.id == user.id)) == "During"
    db.session.rollback()
    # ... and a rollback of the session undoes it.
    assert db.session.scalar(select(User.display_name).where(User.id == user.id)) == "Before"


def test_a_server_error_is_wrapped_as_sqlalchemy_wraps_it(app_ctx):
    divide = text("SELECT 1 / CAST(:zero AS integer) AS x").columns(column("x"))
    with pytest.raises(sqlalchemy.exc.DBAPIError) as by_sqlalchemy:
        db.session.execute(divide, {"zero": 0})
    db.session.rollback()
    with pytest.raises(sqlalchemy.exc.DBAPIError) as by_driver:
        DriverStatement(divide).first(db.session, {"zero": 0})
    db.session.rollback()
    assert type(by_driver.value) is type(by_sqlalchemy.value) is sqlalchemy.exc.DataError
    assert "division by zero" in str(by_driver.value.orig)
    assert not by_driver.value.connection_invalidated
    assert outages.classify(by_driver.value) is None  # a bug, not an outage: a 500


def test_listeners_see_the_statement(app_ctx):
    """Tests count statements with ``before_cursor_execute``; this path must not hide from them."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    statement = DriverStatement(text("SELECT CAST(:n AS integer) AS n").columns(column("n")))
    db.session.connection()  # the test's savepoint, begun before listening
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        statement.first(db.session, {"n": 7})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert seen == [(statement.sql, {"n": 7})]


def test_names_that_are_not_the_statements_columns_are_refused(app_ctx):
    """The row is read by position: names given in another order must not shift it silently."""
    swapped = DriverStatement(text("SELECT 1 AS a, 2 AS b").columns(column("b"), column("a")))
    with pytest.raises(RuntimeError, match="columns are"):
        swapped.first(db.session, {})


def test_only_text_statements_with_named_columns_are_taken():
    with pytest.raises(TypeError):
        DriverStatement(text("SELECT 1"))  # type: ignore[arg-type]


@pytest.mark.committing
def test_a_lost_connection_is_invalidated_and_answers_503(database_url, tmp_path):
    """The backend dies under the statement: the error is SQLAlchemy's OperationalError (an
    outage: 503), the connection is dropped from the pool, and the next request gets a new one."""
    app = make_test_app(database_url, tmp_path / "media")
    statement = DriverStatement(text("SELECT pg_backend_pid() AS pid").columns(column("pid")))
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        with app.app_context():
            pid = statement.first(db.session, {}).pid
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(sqlalchemy.exc.OperationalError) as lost:
                statement.first(db.session, {})
            assert lost.value.connection_invalidated
            outage = outages.classify(lost.value)
            assert outage is not None and outage.status == 503
            db.session.rollback()
            db.session.remove()
        with app.app_context():
            assert statement.first(db.session, {}).pid != pid  # a new connection, not the dead one
            db.session.remove()
            db.engine.dispose()
    finally:
        admin.dispose()
