"""Random ledger histories spread over several days, and a recount of the analytics figures
straight from the ledger's rows (written independently of the rollups, to check them)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import aliased

import ledger
from app.accounts.models import User
from app.analytics.services import rollups
from app.analytics.services.dashboard import fold_countries
from app.catalog.models import Release, Track
from app.core.errors import ServiceError
from app.core.extensions import db
from app.payments.services import wallet
from ledger.clock import FrozenClock
from ledger.schema import (
    Account,
    AccountKind,
    Ownership,
    Play,
    PlayKind,
    Posting,
    PricingVersion,
    Transfer,
    TransferKind,
)
from tests.factories import make_artist, make_release, make_track, make_user

COUNTRIES = ["FR"] * 6 + ["DE"] * 5 + ["PT", "IS", None]


def random_history(seed: int, clock: FrozenClock, *, operations: int = 120, update_every: float = 0.1):
    """Artists, tracks, listeners and a random mix of plays, buy-nows, corrections, own plays
    and a price change, spread over ~3 weeks; the rollup job runs now and then in between.
    Returns (artists, tracks, listeners, managers)."""
    rng = random.Random(seed)
    managers = [make_user(country="GB") for _ in range(2)]
    artists = [make_artist(manager=managers[0]), make_artist(manager=managers[1]), make_artist()]
    tracks = []
    for i, artist in enumerate(artists):
        release = make_release(artist=artist)
        for j in range(2 + (i == 0)):
            tracks.append(make_track(release=release, free=(i == 1 and j == 1)))
    listeners = []
    for country in COUNTRIES:
        user = make_user(country=country)
        user.visible_to_artists = rng.random() < 0.4
        listeners.append(user)
    db.session.commit()
    for user in listeners:
        wallet.admin_top_up(user.id, str(rng.choice([1, 2, 3])), f"seed-top-up-{seed}-{user.id}")
    db.session.commit()

    repriced = False
    played = []  # transfer ids of play charges, for corrections
    weights = [1 / (k + 1) for k in range(len(tracks))]
    for step in range(operations):
        clock.advance(timedelta(hours=rng.choice([0, 0, 1, 3, 7, 20]), minutes=rng.randrange(60)))
        roll = rng.random()
        listener = rng.choice(listeners)
        track = rng.choices(tracks, weights)[0]
        try:
            if not repriced and step > operations // 2:
                ledger.enact_pricing(
                    db.session,
                    ledger.PricingParams(credit_price_cents=150, artist_share_bp=6_500),
                    effective_from=clock.now() - timedelta(minutes=1),
                )
                repriced = True
            if roll < 0.72:
                result = wallet.charge_play(listener, track, f"s{seed}-play-{step}")
                if result.transfer_id:
                    played.append(result.transfer_id)
            elif roll < 0.8:
                wallet.buy_now(listener, track.id, f"s{seed}-buy-{step}")
            elif roll < 0.85 and played:
                ledger.correct(db.session, key=f"s{seed}-fix-{step}", transfer_id=rng.choice(played), memo="test")
            elif roll < 0.9:
                owner = managers[0]
                wallet.charge_play(owner, tracks[0], f"s{seed}-own-{step}")
            else:
                wallet.admin_top_up(listener.id, "0.5", f"s{seed}-top-{step}")
            db.session.commit()
        except (ServiceError, ledger.LedgerError):
            db.session.rollback()
        if rng.random() < update_every:
            rollups.update(max_batches=rng.choice([1, None]))
            db.session.commit()
    return artists, tracks, listeners, managers


def _day(at: datetime) -> date:
    return at.astimezone(timezone.utc).date()


def recount(artist_id: int, start: date, end: date, track_id: int | None = None) -> dict:
    """The dashboard's figures computed from the ledger's rows themselves."""
    s = db.session
    cents = {v.id: v.credit_price_cents for v in s.scalars(select(PricingVersion))}
    track_artist = dict(s.execute(select(Track.id, Release.artist_id).join(Release)).all())

    def in_scope(t):
        return t == track_id if track_id is not None else track_artist.get(t) == artist_id

    plays = [p for p in s.scalars(select(Play)) if p.kind is not PlayKind.OWN_ARTIST and in_scope(p.track_id)]
    in_range = [p for p in plays if start <= _day(p.created_at) <= end]
    out = {
        "plays": len(in_range),
        "charged_plays": sum(p.kind is PlayKind.CHARGED for p in in_range),
        "first_plays": sum(p.play_number == 1 for p in in_range),
        "unique_listeners": len({p.listener_id for p in in_range}),
        "artist_micro": sum(p.artist_part for p in in_range),
        "coop_micro": sum(p.coop_part for p in in_range),
        "artist_value": sum(p.artist_part * cents[p.pricing_version_id] for p in in_range if p.pricing_version_id),
        "coop_value": sum(p.coop_part * cents[p.pricing_version_id] for p in in_range if p.pricing_version_id),
        "buy_nows": 0,
        "buy_now_micro": 0,
    }
    corrected = aliased(Transfer)
    legs = s.execute(
        select(
            Transfer.id,
            Transfer.kind,
            Transfer.track_id,
            Transfer.effective_at,
            Transfer.pricing_version_id,
            corrected.pricing_version_id.label("corrected_version"),
            Posting.amount,
            Account.kind.label("ak"),
        )
        .join(Posting, Posting.transfer_id == Transfer.id)
        .join(Account, Account.id == Posting.account_id)
        .outerjoin(corrected, corrected.id == Transfer.corrects_transfer_id)
        .where(Transfer.kind.in_([TransferKind.BUY_NOW, TransferKind.CORRECTION]))
    ).all()
    bought = set()
    for leg in legs:
        if leg.track_id is None or not in_scope(leg.track_id) or not start <= _day(leg.effective_at) <= end:
            continue
        price = cents[leg.pricing_version_id or leg.corrected_version]
        if leg.ak is AccountKind.ARTIST_EARNINGS:
            out["artist_micro"] += leg.amount
            out["artist_value"] += leg.amount * price
        elif leg.ak is AccountKind.COOP_REVENUE:
            out["coop_micro"] += leg.amount
            out["coop_value"] += leg.amount * price
        elif leg.ak is AccountKind.WALLET and leg.kind is TransferKind.BUY_NOW:
            out["buy_now_micro"] -= leg.amount
            bought.add(leg.id)
    out["buy_nows"] = len(bought)

    daily = defaultdict(int)
    for p in in_range:
        daily[_day(p.created_at)] += 1
    out["daily"] = {d: daily[d] for d in sorted(daily)}

    stage = defaultdict(int)
    for p in plays:
        if p.kind is PlayKind.CHARGED:
            stage[(p.track_id, p.listener_id)] = max(stage[(p.track_id, p.listener_id)], p.play_number)
    owned = {(o.track_id, o.listener_id) for o in s.scalars(select(Ownership)) if in_scope(o.track_id)}
    funnel = defaultdict(int)
    for pair in set(stage) | owned:
        if pair in owned:
            funnel[0] += 1
        elif stage[pair] >= 1:
            funnel[stage[pair]] += 1
    out["owners"] = funnel.pop(0, 0)
    out["funnel"] = {n: c for n, c in funnel.items() if c}

    users = {u.id: u for u in s.scalars(select(User))}
    listener_plays = defaultdict(int)
    for p in plays:
        listener_plays[p.listener_id] += 1
    country_counts = defaultdict(int)
    for listener_id in listener_plays:
        country_counts[users[listener_id].country] += 1
    out["countries"] = fold_countries(dict(country_counts))
    owned_by = defaultdict(int)
    for _track, who in owned:
        owned_by[who] += 1
    out["visible_listeners"] = sorted(
        (
            {
                "display_name": users[who].display_name,
                "plays": n,
                "owned": bool(owned_by[who]) if track_id is not None else owned_by[who],
            }
            for who, n in listener_plays.items()
            if users[who].visible_to_artists
        ),
        key=lambda v: (-v["plays"], v["display_name"]),
    )
    return out


def month_recount(start: date, end: date) -> dict:
    """Money moved in [start, end) summed from postings, by (transfer kind, account kind);
    plays and distinct listeners of the period."""
    s = db.session
    sums = defaultdict(int)
    rows = s.execute(
        select(Transfer.kind, Transfer.effective_at, Posting.amount, Account.kind.label("ak"))
        .join(Posting, Posting.transfer_id == Transfer.id)
        .join(Account, Account.id == Posting.account_id)
    )
    for kind, at, amount, ak in rows:
        if start <= _day(at) < end:
            sums[(kind.value, ak.value)] += amount
    plays = [
        p for p in s.scalars(select(Play)) if p.kind is not PlayKind.OWN_ARTIST and start <= _day(p.created_at) < end
    ]
    return {"sums": dict(sums), "plays": len(plays), "listeners": len({p.listener_id for p in plays})}
