"""Payout fraud holds: a scripted farm of fresh accounts spending their starter credits on one
artist ends held with its reasons; paying listeners are paid; release pays; void takes back
exactly the farmed earnings (the ledger still verifies); reruns keep the hold as it is."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import ledger
from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.analytics.services import rollups, transparency
from app.catalog.models import Artist
from app.core.errors import Conflict, ServiceError
from app.core.extensions import db
from app.payments.models import PayoutHold, PayoutStatus
from app.payments.services import checkout, payout_reviews, payouts, wallet
from app.payments.services.payment_events import fulfil
from ledger import reads
from ledger.schema import AccountKind, Transfer, TransferKind
from tests.factories import PASSWORD, enable_two_factor, login, make_release, make_track, make_user
from tests.payments.test_payouts import (  # noqa: F401
    bank_artist,
    during_period,
    earnings,
    payout_of,
    period,
    run,
    stripe_artist,
)
from tests.stripe_fake import fake_stripe, stripe_mode  # noqa: F401 (fixtures)

FARM_SIZE = 60
PLAYS_PER_ACCOUNT = 15  # 6 plays of one track, 5 of another, 2 and 2 of two more: 0.2 credits
FARMED_PER_ACCOUNT = 140_000  # 70 % of the 0.2 starter credits, all spent (prices are multiples of 2,000)
BUY_NOW_ARTIST_PART = 715_400  # 70 % of 1.022 credits


def farm(artist: Artist, accounts_count: int = FARM_SIZE, address: str = "203.0.113.9") -> list[int]:
    """The attack: fresh accounts from one address, each playing the artist's tracks until its
    starter credits are gone. Returns the accounts' ids."""
    with during_period():  # the earnings belong to the period
        release = make_release(artist=artist)
        tracks = [make_track(release=release) for _ in range(4)]
        ids = []
        for n in range(accounts_count):
            user = accounts.register(
                email=f"farm{artist.id}-{n}@example.test",
                password=PASSWORD,
                display_name=f"Farm {n}",
                address=address,
                verified=True,
            )
            for track in tracks:
                play = 0
                while True:
                    play += 1
                    try:
                        wallet.charge_play(user, track, f"farm-{user.id}-{track.id}-{play}")
                    except ServiceError as exc:
                        assert exc.status == 402
                        break
            assert wallet.balance(user) == 0
            ids.append(user.id)
        db.session.commit()
        return ids


def paying_listener(pack: int = 20, address: str | None = None) -> User:
    """A listener who bought credits (a paid order), registered from ``address``."""
    with during_period():  # the earnings belong to the period
        user = accounts.register(
            email=f"payer{next(_payers)}@example.test",
            password=PASSWORD,
            display_name="Payer",
            address=address,
            verified=True,
        )
        order = checkout.create_pack_order(user, pack)
        fulfil(order)
        db.session.commit()
        return user


_payers = itertools.count(1)


def buy(listener: User, artist: Artist, count: int) -> int:
    with during_period():  # the earnings belong to the period
        release = make_release(artist=artist)
        for _ in range(count):
            track = make_track(release=release)
            wallet.buy_now(listener, track.id, f"buy-{listener.id}-{track.id}")
        db.session.commit()
        return count * BUY_NOW_ARTIST_PART


def coop_revenue() -> int:
    return reads.account_balance(db.session, AccountKind.COOP_REVENUE, 0)


def admin_client(client):
    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)
    login(client, admin)
    return admin


def test_a_farming_run_ends_held_with_its_reasons(app, app_ctx, client, period):
    artist = bank_artist()
    farm(artist)
    before = earnings(artist.id)
    assert before == FARM_SIZE * FARMED_PER_ACCOUNT  # 8.4 credits = 10.50 EUR: above the minimum

    summary = run(period)
    payout = payout_of(artist.id, period)
    assert summary["held"] == [(artist.id, payout.id)] and summary["in_transit"] == []
    assert payout.status is PayoutStatus.HELD and payout.amount_cents == 1050
    hold = db.session.get(PayoutHold, payout.id)
    assert len(hold.suspects) == FARM_SIZE and hold.suspect_credits == hold.period_credits == before
    signals = {reason["signal"]: reason for reason in hold.reasons}
    assert set(signals) == {"suspects", "unpaid", "new", "shared_address", "one_artist"}
    assert all(reason["listeners"] == FARM_SIZE and reason["percent"] == 100 for reason in hold.reasons)
    # Nothing moved: the earnings wait for the admin, and no payout transfer exists.
    assert earnings(artist.id) == before
    assert db.session.scalar(select(Transfer.id).where(Transfer.idempotency_key == f"payout:{payout.id}")) is None
    assert payouts.bank_csv(period).count("\r\n") == 1  # the header only: nothing to pay by bank

    admin_client(client)
    page = client.get("/admin/payouts")
    assert page.status_code == 200
    assert "Held for review" in page.text and "60 of 60 listeners never paid money" in page.text
    assert "registered from an address shared by 3 or more accounts" in page.text


def test_an_artist_with_paying_listeners_is_paid(app_ctx, period):
    artist = bank_artist()
    # New accounts, one address, one artist: but they paid for their credits.
    for _ in range(6):
        buy(paying_listener(address="198.51.100.2"), artist, 2)
    summary = run(period)
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.IN_TRANSIT and summary["held"] == []
    assert payout.amount_cents == 6 * 2 * BUY_NOW_ARTIST_PART * 125 // 1_000_000
    assert db.session.get(PayoutHold, payout.id) is None


def test_a_few_odd_listeners_are_not_a_farm(app_ctx, period):
    """Below PAYOUT_HOLD_MIN_LISTENERS suspects nothing is held (one listener topped up by hand)."""
    artist = bank_artist()
    listener = make_user()
    wallet.admin_top_up(listener.id, "30", f"odd-{listener.id}")
    db.session.commit()
    buy(listener, artist, 14)
    run(period)
    assert payout_of(artist.id, period).status is PayoutStatus.IN_TRANSIT


def test_the_thresholds_are_configuration(app, app_ctx, period, monkeypatch):
    artist = bank_artist()
    farm(artist)
    monkeypatch.setitem(app.config, "PAYOUT_HOLD_SHARE_PERCENT", 101)  # above 100: the hold is off
    run(period)
    assert payout_of(artist.id, period).status is PayoutStatus.IN_TRANSIT


def test_a_held_payout_stays_as_it_is_across_reruns_and_later_periods(app_ctx, period):
    artist = bank_artist()
    farm(artist)
    run(period)
    first = payout_of(artist.id, period)
    reasons = db.session.get(PayoutHold, first.id).reasons
    transfers = db.session.scalar(select(func.count()).select_from(Transfer))
    summary = run(period)
    again = payout_of(artist.id, period)
    assert again.id == first.id and again.status is PayoutStatus.HELD
    assert summary["held"] == [(artist.id, first.id)]
    assert db.session.get(PayoutHold, first.id).reasons == reasons
    assert db.session.scalar(select(func.count()).select_from(PayoutHold)) == 1
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == transfers
    # A later period cannot pay what the hold keeps back.
    later = datetime(2100, 1, 1, tzinfo=timezone.utc)
    assert payouts.payable_credits(artist.id, later) == 0


def test_release_pays_as_usual(app, app_ctx, client, stripe_mode, period):
    artist = stripe_artist()
    farm(artist)
    run(period)
    artist_id = artist.id  # the requests below end the session that loaded it
    payout = payout_of(artist_id, period)
    assert payout.status is PayoutStatus.HELD and stripe_mode.calls("POST", "/v1/transfers") == []

    admin = admin_client(client)
    r = client.post(f"/admin/payouts/{payout.id}/release")
    assert r.status_code == 302
    (call,) = stripe_mode.calls("POST", "/v1/transfers")
    assert call.headers["Idempotency-Key"] == f"payout-{payout.id}" and call.form["amount"] == "1050"
    payout = payout_of(artist_id, period)
    assert payout.status is PayoutStatus.PAID and earnings(artist_id) == 0
    hold = db.session.get(PayoutHold, payout.id)
    assert (hold.decision, hold.decided_by_id, hold.voided_credits) == ("released", admin.id, 0)
    # Decided once: a second release or a void is refused.
    with pytest.raises(Conflict):
        payout_reviews.void(payout.id)
    r = client.post(f"/admin/payouts/{payout.id}/release", follow_redirects=True)
    assert f"Payout {payout.id} is not held (it is paid)." in r.text
    assert ledger.verify(db.session).ok


def test_void_takes_back_exactly_the_farmed_earnings_and_pays_the_rest(app, app_ctx, period, monkeypatch):
    # Held at 40 %: the farm brings 8.4 of the period's 17.7 credits (47 %), a paying
    # listener the rest, enough on its own for a payout.
    monkeypatch.setitem(app.config, "PAYOUT_HOLD_SHARE_PERCENT", 40)
    artist = bank_artist()
    farm(artist)
    honest = buy(paying_listener(), artist, 13)  # 9.3002 credits = 11.62 EUR from a paying listener
    run(period)
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.HELD
    hold = db.session.get(PayoutHold, payout.id)
    farmed = FARM_SIZE * FARMED_PER_ACCOUNT
    assert hold.suspect_credits == farmed and hold.period_credits == farmed + honest
    revenue_before = coop_revenue()

    payout_reviews.void(payout.id)
    db.session.commit()
    payout = payout_of(artist.id, period)
    hold = db.session.get(PayoutHold, payout.id)
    assert hold.decision == "voided" and hold.voided_credits == farmed
    assert coop_revenue() - revenue_before == farmed
    # The honest part is paid: reserved now, in transit to the bank.
    assert payout.status is PayoutStatus.IN_TRANSIT
    assert payout.amount_cents == honest * 125 // 1_000_000 and payout.credits + earnings(artist.id) == honest
    corrections = db.session.scalars(
        select(Transfer).where(
            Transfer.kind == TransferKind.CORRECTION, Transfer.idempotency_key.like(f"payout-void:{payout.id}:%")
        )
    ).all()
    assert len(corrections) == FARM_SIZE * PLAYS_PER_ACCOUNT  # one per farmed charge
    assert ledger.verify(db.session).ok

    # Visible in the public books as corrections: taken from artists, given to the co-op.
    rollups.run_until_current()
    db.session.commit()
    books = transparency.month_books(transparency.current_period())
    assert books.money["artist_corrections"] == -farmed and books.money["coop_corrections"] == farmed

    with pytest.raises(Conflict):
        payout_reviews.void(payout.id)


def test_void_below_the_minimum_leaves_the_rest_as_earnings(app_ctx, period):
    artist = bank_artist()
    farm(artist)
    honest = buy(paying_listener(), artist, 1)
    run(period)
    payout = payout_of(artist.id, period)
    payout_reviews.void(payout.id)
    db.session.commit()
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.VOIDED and earnings(artist.id) == honest
    assert db.session.scalar(select(Transfer.id).where(Transfer.idempotency_key == f"payout:{payout.id}")) is None
    # The rest waits for a later run: the hold no longer keeps it back.
    assert payouts.payable_credits(artist.id, datetime(2100, 1, 1, tzinfo=timezone.utc)) == honest
    assert ledger.verify(db.session).ok


def test_registration_records_the_address(app, client, app_ctx):
    r = client.post(
        "/register",
        data={"email": "addr@example.test", "password": PASSWORD, "display_name": "Addr"},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert r.status_code == 200  # "check your mail"
    # A second client: the first holds a session now, and its API writes would need the CSRF token.
    r = app.test_client().post(
        "/api/v1/auth/register",
        json={"email": "addr2@example.test", "password": PASSWORD, "display_name": "Addr"},
        environ_base={"REMOTE_ADDR": "2001:db8::7"},
    )
    assert r.status_code == 202, r.text
    db.session.expire_all()
    found = dict(
        db.session.execute(
            select(User.email, User.registered_from).where(User.email.in_(["addr@example.test", "addr2@example.test"]))
        ).all()
    )
    assert found == {"addr@example.test": "192.0.2.44", "addr2@example.test": "2001:db8::7"}


def test_a_hold_whose_payout_method_went_away_is_not_released(app_ctx, period):
    from app.payments.models import PayoutDestination

    artist = bank_artist()
    farm(artist)
    run(period)
    payout = payout_of(artist.id, period)
    db.session.delete(db.session.get(PayoutDestination, artist.id))  # the last manager left
    db.session.commit()
    with pytest.raises(Conflict, match="payout method changed"):
        payout_reviews.release(payout.id)
    db.session.rollback()
    payout_reviews.void(payout.id)
    db.session.commit()
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.VOIDED and earnings(artist.id) == 0
    assert ledger.verify(db.session).ok
