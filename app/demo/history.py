"""The demo co-op's past: months of listening, a closed vote, last month's payout run.

A first visit should find every page with something in it: the artists' dashboards a chart
with history, the public books a paid payout run, governance a vote with published results.
So the seed plays the co-op's last months forward on the ledger's clock (``ledger.clock``):
every play, vote and top-up goes through the same services as a live one, stamped at the
time it happened. Nothing writes history by hand, so the books, the dashboards and
``ledger verify`` agree exactly as they would after real months.

Invariants: the fans register ``FIRST_PLAY_AFTER`` before their first play and are funded
for everything they play (no play is refused, no payout is held as farmed); the listening is
drawn from a fixed seed, so every seed makes the same co-op.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone

from app.accounts import services as accounts
from app.accounts.callers import Caller
from app.accounts.models import User
from app.core.extensions import db
from app.streaming import services as streaming
from ledger import clock

HISTORY_DAYS = 120
FIRST_PLAY_AFTER = timedelta(days=10)  # longer than the fraud check's "new account" window
FAN_TOP_UP = "12"  # credits: more than owning every demo track costs (8 x 1.022)
LISTENING_SECONDS = 50  # each counted play lasts past the 45 s count point

# (name, login, country, member): the fans whose listening makes the history
DEMO_FANS = [
    ("Ana Lima", "ana@encore.test", "BR", True),
    ("Kenji Sato", "kenji@encore.test", "JP", True),
    ("Maya Okafor", "maya@encore.test", "US", True),
    ("Luc Moreau", "luc@encore.test", "FR", False),
    ("Ingrid Berg", "ingrid@encore.test", "NO", False),
    ("Tomás Ruiz", "tomas@encore.test", "ES", False),
]

CLOSED_PROPOSAL_TITLE = "A dearer first play: 0.003 credits"

# Valid example IBANs (the check digits hold; no real account behind them).
DEMO_IBANS = ("FR7630006000011234567890189", "GB82WEST12345698765432")


@contextmanager
def at(moment: datetime) -> Iterator[clock.FrozenClock]:
    """Run the block with the ledger's clock standing at ``moment``."""
    with clock.use(clock.FrozenClock(moment)) as frozen:
        yield frozen


def history_start(now: datetime) -> datetime:
    """Midnight UTC ``HISTORY_DAYS`` ago: day 0 of the demo's past."""
    day = (now - timedelta(days=HISTORY_DAYS)).date()
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def register_fans(password: str, start: datetime) -> list[User]:
    """The fans join on day 0 and top up their wallets (an operator's top-up, as for the
    demo listener)."""
    from app.governance.models import MembershipSource
    from app.governance.services import membership
    from app.payments.services import wallet

    fans = []
    with at(start + timedelta(hours=9)):
        for number, (name, email, country, member) in enumerate(DEMO_FANS, start=1):
            fan = accounts.register(
                email=email,
                password=password,
                display_name=name,
                country=country,
                verified=True,
                published_password=True,
            )
            wallet.admin_top_up(fan.id, FAN_TOP_UP, f"demo-fan-top-up-{number}")
            if member:
                membership.grant_membership(fan, "listener", MembershipSource.ADMIN_RECORD, f"demo-fan-share-{number}")
            fans.append(fan)
    return fans


def play_through(listener: User, track_id: int, started: datetime, seconds: int = LISTENING_SECONDS) -> None:
    """One play the way the player makes it: start, report the position as time passes
    (the server counts it once its own clock agrees), end."""
    with at(started) as now:
        opened = streaming.start_play(Caller.of(listener), track_id)
        now.advance(timedelta(seconds=seconds))
        streaming.record_progress(Caller.of(listener), opened.play_id, min(seconds * 1000, opened.count_after_ms))
        streaming.end_play(listener, opened.play_id)


def fans_listen(fans: list[User], tracks: list, start: datetime, days: int, released: Callable) -> int:
    """Months of listening: each fan has favourite tracks, listens on about a third of the
    days, one to four tracks a session, and only to tracks already out that day. Returns the
    number of plays."""
    rng = random.Random(2026)
    plays = 0
    for fan in fans:
        taste = {track.id: rng.uniform(0.2, 1.0) for track in tracks}
        first_day = (FIRST_PLAY_AFTER.days) + rng.randrange(0, 6)
        for day in range(first_day, days):
            if rng.random() > 0.33:
                continue
            moment = start + timedelta(days=day, hours=rng.randrange(7, 23), minutes=rng.randrange(60))
            out = [track for track in tracks if released(track, moment)]
            if not out:
                continue
            session = rng.choices(out, weights=[taste[t.id] for t in out], k=rng.randint(1, 4))
            for track in session:
                play_through(fan, track.id, moment)
                moment += timedelta(minutes=2)
                plays += 1
    return plays


def closed_vote(admin: User, fans: list[User], start: datetime) -> None:
    """A proposal put to the vote in the co-op's past and voted down, its results published."""
    from app.governance.models import Proposal
    from app.governance.services import closing, proposals, voting

    opened_at = start + timedelta(days=30, hours=10)
    with at(opened_at):
        proposal = proposals.create_draft(
            admin,
            title=CLOSED_PROPOSAL_TITLE,
            rationale="Artists asked whether a dearer first play would pay them more. It would also make "
            "trying a track dearer for every listener.",
            changes={"first_play_price": "0.003"},
        )
        proposals.open_proposal(proposal, admin, now=opened_at)
    members = [fan for fan, (*_, member) in zip(fans, DEMO_FANS, strict=True) if member]
    choices = ["yes"] + ["no"] * len(members)
    for hours, (voter, choice) in enumerate(zip([admin, *members], choices, strict=True), start=1):
        moment = opened_at + timedelta(hours=hours * 7)
        with at(moment):
            voting.cast_vote(proposal, voter, choice, now=moment)
    assert isinstance(proposal, Proposal)
    closes = proposal.closes_at
    with at(closes + timedelta(minutes=5)):
        closing.close_proposal(proposal, now=closes + timedelta(minutes=5))


def pay_last_month(admin: User, artist_users: list[User]) -> None:
    """Bank details for each demo artist, then last month's payout run, the bank transfers
    recorded as made. Commits: the run is the same code as the admin's button
    (``execute_run``), which commits each step."""
    from app.payments.models import PayoutMethod, PayoutStatus
    from app.payments.services import payout_destinations, payouts
    from app.payments.services.payout_runs import execute_run

    for user, iban in zip(artist_users, DEMO_IBANS, strict=False):
        payout_destinations.set_bank_details(user.artists[0], iban=iban, account_holder=user.display_name, by=user)
    run = payouts.create_run(payouts.last_month(), by=admin)
    run_id = run.id
    execute_run(run_id)
    for payout in payouts.list_payouts(period=payouts.get_run(run_id).period):
        if payout.method is PayoutMethod.BANK and payout.status is PayoutStatus.IN_TRANSIT:
            payouts.record_bank_payment(payout.id, reference=f"DEMO-{payout.period}-{payout.artist_id}", by=admin)
    db.session.commit()
