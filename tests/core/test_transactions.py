"""One commit point per request (``app.core.transactions``): a success commits, anything else
rolls back, a failed commit is answered like any error; services never commit."""

from __future__ import annotations

import pytest
from flask import redirect, render_template_string
from sqlalchemy import func, select

from app.core.error_pages import refused_redirect
from app.core.errors import ServiceError, ValidationFailed
from app.core.extensions import db
from app.core.mail import queue_mail
from app.core.models import OutboxMessage
from tests.conftest import make_test_app


def _noted(key: str) -> None:
    queue_mail(to="t@example.test", subject="s", body="b", dedupe_key=key)  # adds and flushes a row


def _written(key: str) -> bool:
    db.session.rollback()  # whatever the request left uncommitted is not "written"
    return db.session.scalar(select(func.count()).where(OutboxMessage.dedupe_key == key)) == 1


@pytest.fixture
def views_client(database_url, tmp_path):
    """A fresh app (routes can be added before its first request) with views that write."""
    app = make_test_app(database_url, tmp_path)

    def ok():
        _noted("ok")
        return {"ok": True}

    def redirected():
        _noted("redirected")
        return redirect("/")

    def flushed_then_raised():
        _noted("raised")
        raise ValidationFailed("No.")

    def flushed_then_crashed():
        _noted("crashed")
        raise RuntimeError("a bug")

    def error_page():
        _noted("error-page")
        return render_template_string("the form again"), 422

    def refused():
        try:
            _noted("refused")
            raise ValidationFailed("No.")
        except ServiceError as exc:
            return refused_redirect(exc, "/")

    def failing_commit():
        # Two rows with one dedupe key: the unique constraint refuses them at the commit.
        db.session.add_all(
            [OutboxMessage(dedupe_key="twice", to_address="t@example.test", subject="s", body="b") for _ in range(2)]
        )
        return {"ok": True}

    for name, view, methods in [
        ("ok", ok, ["POST"]),
        ("redirected", redirected, ["POST"]),
        ("raised", flushed_then_raised, ["POST"]),
        ("crashed", flushed_then_crashed, ["POST"]),
        ("error-page", error_page, ["POST"]),
        ("refused", refused, ["POST"]),
        ("failing-commit", failing_commit, ["POST"]),
    ]:
        app.add_url_rule(f"/t/{name}", name, view, methods=methods)
        app.add_url_rule(f"/api/t/{name}", f"api-{name}", view, methods=methods)
    return app.test_client()


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_a_success_commits(views_client, app_ctx, prefix):
    assert views_client.post(f"{prefix}/t/ok").status_code == 200
    assert _written("ok")


def test_a_redirect_is_a_success_and_commits(views_client, app_ctx):
    assert views_client.post("/t/redirected").status_code == 302
    assert _written("redirected")


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_a_service_that_raised_after_flushing_leaves_nothing_written(views_client, app_ctx, prefix):
    r = views_client.post(f"{prefix}/t/raised")
    assert r.status_code == 422
    assert not _written("raised")


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_an_unexpected_exception_leaves_nothing_written(views_client, app_ctx, prefix):
    assert views_client.post(f"{prefix}/t/crashed").status_code == 500
    assert not _written("crashed")


def test_a_page_answered_with_4xx_rolls_back(views_client, app_ctx):
    assert views_client.post("/t/error-page").status_code == 422
    assert not _written("error-page")


def test_a_refusal_answered_by_a_redirect_leaves_nothing_written(views_client, app_ctx):
    r = views_client.post("/t/refused")
    assert r.status_code == 302  # a success status, yet what the refused service flushed is gone
    assert not _written("refused")


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_a_failed_commit_is_answered_by_the_error_handlers(views_client, app_ctx, prefix):
    r = views_client.post(f"{prefix}/t/failing-commit")
    assert r.status_code == 500
    if prefix:
        assert r.json["error"]["code"] == "internal_error"
    assert not _written("twice")
