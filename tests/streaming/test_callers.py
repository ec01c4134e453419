"""A play's start and its progress reports find their caller in their own statement
(``app.accounts.callers``): one statement each for a Bearer token, the same refusals, CSRF and
rate limits as every other API call."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from app.accounts import suspension
from app.accounts.callers import Caller
from app.accounts.models import Role, User
from app.core.errors import Forbidden
from app.core.extensions import db
from app.core.ratelimit import limiter
from app.streaming import services as streaming
from app.streaming.models import START_LOCK_CLASS, Play
from tests.factories import PASSWORD, bearer, make_user, token_for
from tests.streaming.streaming_helpers import backdate, make_streamable_track


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@contextmanager
def statements():
    """The statements the app sends meanwhile (savepoints left out: the test's own transaction)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def plays_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Play).where(Play.listener_id == user.id))


def test_a_token_start_and_its_counted_report_are_one_statement_each(client, app_ctx):
    """Before, each first ran the token lookup (with an ORM User) as a statement of its own."""
    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track()
    with statements() as sent:
        r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers)
    assert r.status_code == 201, r.json
    assert len(sent) == 1 and "streaming_start(" in sent[0], sent
    play_id = r.json["play"]["id"]
    backdate(play_id, 60)
    with statements() as sent:
        r = client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 50_000}, headers=headers)
    assert r.status_code == 200 and r.json["counted"] is True, r.json
    assert len(sent) == 1 and "ledger_charge_play" in sent[0], sent


def test_a_start_over_the_rate_limit_is_a_429_that_leaves_no_play(client, app, app_ctx, monkeypatch):
    """The limit is counted after the statement that inserted the play: the 429 rolls it back."""
    monkeypatch.setitem(app.config, "STREAM_START_LIMIT", "2 per minute")
    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track()
    for _ in range(2):
        assert client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).status_code == 201
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers)
    assert r.status_code == 429 and r.json["error"]["code"] == "too_many_requests"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert plays_of(user) == 2


@pytest.mark.parametrize("credential", [{}, bearer("enc_not-a-token")], ids=["nobody", "unknown token"])
def test_requests_naming_nobody_are_limited_per_address(client, app, app_ctx, monkeypatch, credential):
    monkeypatch.setitem(app.config, "STREAM_START_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "STREAM_PROGRESS_LIMIT", "2 per minute")
    track = make_streamable_track()
    progress = {"position_ms": 1_000}
    for url, body in (
        (f"/api/v1/tracks/{track.id}/plays", None),
        ("/api/v1/plays/" + "x" * 32 + "/progress", progress),
    ):
        statuses = [client.post(url, json=body, headers=credential).status_code for _ in range(3)]
        assert statuses == [401, 401, 429], url


def test_a_report_without_any_credential_is_a_401_before_its_body_is_read(client, app_ctx):
    r = client.post("/api/v1/plays/" + "x" * 32 + "/progress", json={})
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_a_browser_session_still_needs_its_csrf_token_and_wins_over_a_token(client, app_ctx):
    """As in flask-login, the session's user is the caller; a token beside it changes nothing."""
    fan, other = make_user(), make_user()
    track = make_streamable_track()
    r = client.post("/api/v1/auth/login", json={"email": fan.email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    csrf = {"X-CSRFToken": r.json["csrf_token"]}
    r = client.post(f"/api/v1/tracks/{track.id}/plays")
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer(token_for(other)))
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"
    r = client.post(f"/api/v1/tracks/{track.id}/plays", headers=csrf | bearer(token_for(other)))
    assert r.status_code == 201, r.json
    assert (plays_of(fan), plays_of(other)) == (1, 0)
    play_id = r.json["play"]["id"]
    r = client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 1_000})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"
    r = client.post(f"/api/v1/plays/{play_id}/progress", json={"position_ms": 1_000}, headers=csrf)
    assert r.status_code == 200 and r.json["play"]["position_ms"] == 1_000


def test_a_suspended_token_user_is_told_why_and_their_play_is_left_alone(client, app_ctx):
    user = make_user()
    headers = bearer(token_for(user))
    track = make_streamable_track()
    play_id = client.post(f"/api/v1/tracks/{track.id}/plays", headers=headers).json["play"]["id"]
    backdate(play_id, 60)
    user = db.session.get(User, user.id)  # the request left the test's copy detached
    suspension.suspend(user, reason="Chargeback fraud", by=make_user(role=Role.ADMIN))
    db.session.commit()
    for url, body in (
        (f"/api/v1/tracks/{track.id}/plays", None),
        (f"/api/v1/plays/{play_id}/progress", {"position_ms": 50_000}),
    ):
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 403 and r.json["error"]["code"] == "account_suspended", r.json
        assert "cannot use the API" in r.json["error"]["message"] and "Chargeback fraud" in r.json["error"]["message"]
    play = db.session.get(Play, play_id)
    db.session.refresh(play)
    assert play.counted_at is None and play.position_ms == 0 and plays_of(user) == 1


def test_someone_elses_play_is_not_found_and_not_touched(client, app_ctx):
    owner, stranger = make_user(), make_user()
    track = make_streamable_track()
    play_id = client.post(f"/api/v1/tracks/{track.id}/plays", headers=bearer(token_for(owner))).json["play"]["id"]
    backdate(play_id, 60)
    r = client.post(
        f"/api/v1/plays/{play_id}/progress", json={"position_ms": 50_000}, headers=bearer(token_for(stranger))
    )
    assert r.status_code == 404 and r.json["error"]["message"] == "There is no such play."
    play = db.session.get(Play, play_id)
    db.session.refresh(play)
    assert play.counted_at is None and play.position_ms == 0


def test_a_suspended_listeners_start_runs_nothing_of_the_start(app_ctx):
    """The start function runs only for a caller who may play: a suspended one takes no lock
    (the start's advisory lock would be held until the transaction ends) and writes nothing."""
    user = make_user()
    track = make_streamable_track()
    suspension.suspend(user, reason="Chargeback fraud", by=make_user(role=Role.ADMIN))
    db.session.flush()
    with pytest.raises(Forbidden):
        streaming.start_play(Caller.of(user), track.id)
    held = db.session.scalar(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND classid = :lock_class AND objid = :listener AND objsubid = 2"
        ),
        {"lock_class": START_LOCK_CLASS, "listener": user.id},
    )
    assert held == 0 and plays_of(user) == 0
