"""The demo co-op that `make run` seeds (the live app's database holds it)."""

import pytest
from sqlalchemy import func, select

import ledger
from app.accounts.models import User
from app.core.extensions import db
from app.demo.seed import LISTENER_EMAIL
from app.streaming.models import Play
from ledger.schema import Play as LedgerPlay

pytestmark = pytest.mark.committing


def test_demo_listening_goes_through_the_player_path(live_app):
    with live_app.app_context():
        listener = db.session.scalar(select(User).where(User.email == LISTENER_EMAIL))
        counted = db.session.scalar(
            select(func.count(Play.id)).where(Play.listener_id == listener.id, Play.counted_at.is_not(None))
        )
        charged = db.session.scalar(select(func.count(LedgerPlay.id)).where(LedgerPlay.listener_id == listener.id))
        assert counted == charged == 14  # history and wallet tell the same story
        assert ledger.verify(db.session).ok
