"""The demo co-op `make run` seeds, and `flask demo reset`, on a database of their own."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import ledger
from app.accounts.models import User
from app.core.extensions import db
from app.core.storage import get_store
from app.demo import history
from app.demo import seed as demo
from app.governance.models import Proposal, ProposalStatus
from app.payments.models import Payout, PayoutRun, PayoutRunStatus, PayoutStatus
from app.payments.services import payouts
from app.streaming.models import Play
from ledger import clock
from tests.conftest import make_test_app, migrate_to_head
from tests.resources import fresh_database

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with fresh_database(tmp, "demo") as url:
        app = make_test_app(url, tmp / "media")
        migrate_to_head(app)
        with app.app_context():
            demo.seed_demo(audio_seconds=2)
            db.session.commit()
        yield app
        with app.app_context():
            db.engine.dispose()


def test_the_demo_has_months_of_history_a_closed_vote_and_a_paid_payout_run(demo_app):
    with demo_app.app_context():
        now = clock.now()
        first, last, plays = db.session.execute(
            select(func.min(Play.started_at), func.max(Play.started_at), func.count(Play.id))
        ).one()
        assert now - first > timedelta(days=90)  # the dashboard's chart has months in it
        assert now - last < timedelta(days=7)
        assert plays > 300
        assert db.session.scalar(select(func.count(Play.id)).where(Play.counted_at.is_(None))) == 0

        closed = db.session.scalar(select(Proposal).where(Proposal.title == history.CLOSED_PROPOSAL_TITLE))
        assert closed.status is ProposalStatus.REJECTED
        assert (closed.yes_count, closed.no_count) == (1, 3)
        assert db.session.scalar(select(Proposal.status).where(Proposal.title == demo.DEMO_PROPOSAL_TITLE)) is (
            ProposalStatus.OPEN
        )

        run = db.session.scalar(select(PayoutRun))
        assert (run.period, run.status) == (payouts.last_month(), PayoutRunStatus.DONE)
        paid = db.session.scalars(select(Payout).where(Payout.period == run.period)).all()
        assert len(paid) == len(demo.DEMO_ARTISTS)
        assert all(p.status is PayoutStatus.PAID and p.amount_cents >= 1_000 for p in paid)
        assert ledger.verify(db.session).ok


def test_the_demo_shows_every_feature_in_use(demo_app):
    from app.admin.models import ContentReport
    from app.catalog.models import Release
    from app.catalog.visibility import release_visible_to
    from app.demo import showcase
    from app.library.models import Playlist

    with demo_app.app_context():
        releases = db.session.scalars(select(Release)).all()
        published = [r for r in releases if r.published_at is not None]
        assert all(r.cover_key for r in published)  # the grids show covers
        assert all(r.tags for r in published)
        (draft,) = [r for r in releases if r.published_at is None]
        assert draft.title == showcase.DRAFT_TITLE and not release_visible_to(None, draft)
        playlist = db.session.scalar(select(Playlist).where(Playlist.name == showcase.PLAYLIST_NAME))
        assert playlist.public and len(playlist.items) == 3
        assert db.session.scalar(select(func.count(ContentReport.id))) == 1


def test_demo_reset_starts_over(demo_app):
    with demo_app.app_context():
        stray = User(email="stray@example.org", display_name="Stray", password_hash="x")
        db.session.add(stray)
        db.session.commit()
        get_store().put_bytes("stray/object.bin", b"left over")
        plays_before = db.session.scalar(select(func.count(Play.id)))
        db.session.remove()
        result = demo_app.test_cli_runner().invoke(args=["demo", "reset", "--yes", "--audio-seconds", "2"])
        assert result.exit_code == 0, result.output

        db.session.remove()
        assert db.session.scalar(select(User.id).where(User.email == "stray@example.org")) is None
        assert not get_store().exists("stray/object.bin")
        assert db.session.scalar(select(func.count(Play.id))) == plays_before  # the same co-op again
        assert db.session.scalar(select(func.count(PayoutRun.id))) == 1
        assert ledger.verify(db.session).ok


def test_demo_reset_refuses_production(demo_app):
    demo_app.config["ENV_NAME"] = "production"
    try:
        with demo_app.app_context():
            result = demo_app.test_cli_runner().invoke(args=["demo", "reset", "--yes"])
    finally:
        demo_app.config["ENV_NAME"] = "test"
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
