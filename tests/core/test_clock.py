"""The web layer reads the ledger's one clock: services and the models' defaults."""

from datetime import datetime, timedelta, timezone

from app.core.types import utcnow
from tests.factories import make_user

AT = datetime(2026, 2, 28, 12, 0, tzinfo=timezone.utc)


def test_the_app_reads_the_installed_clock(app_ctx, clock):
    clock.set(AT)
    assert utcnow() == AT
    user = make_user()
    assert user.created_at == AT
    clock.advance(timedelta(days=1))
    assert make_user().created_at == AT + timedelta(days=1)
