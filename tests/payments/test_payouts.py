"""Money out: payout destinations (Stripe Connect against the recording fake, IBANs), payout
runs (repeated, failed, interrupted: each artist paid exactly once), bank CSV, statements."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import ledger
import ledger.clock
from app.accounts.models import Role
from app.catalog.models import Artist
from app.core.errors import ValidationFailed
from app.core.extensions import db
from app.payments.models import (
    Payout,
    PayoutDestination,
    PayoutMethod,
    PayoutRun,
    PayoutRunStatus,
    PayoutStatus,
)
from app.payments.services import payout_destinations, payouts, wallet
from app.payments.services.payout_runs import execute_run
from ledger import reads
from ledger.schema import AccountKind
from tests.factories import enable_two_factor, login, make_artist, make_release, make_track, make_user
from tests.stripe_fake import event, fake_stripe, sign, stripe_mode  # noqa: F401 (fixtures)

ARTIST_PART = 715_400  # 70 % of a buy-now (1.022 credits)


@pytest.fixture
def period(clock):
    """This month, with the clock a day past its end (so it can be paid). Earnings are made
    during the month (``during_period``)."""
    now = clock.now()
    name = f"{now.year}-{now.month:02d}"
    clock.set(payouts.parse_period(name, ended=False).end + timedelta(days=1))
    return name


@contextmanager
def during_period():
    """Within the block the clock is back in the period (the real now), then past it again."""
    clock = ledger.clock.current()
    after = clock.now()
    clock.set(datetime.now(timezone.utc))
    try:
        yield
    finally:
        clock.set(after)


def earn(artist: Artist, buys: int) -> int:
    """``buys`` listeners' buy-nows of the artist's tracks, during the period: the artist earns
    0.7154 credits each."""
    with during_period():
        return _earn(artist, buys)


def _earn(artist: Artist, buys: int) -> int:
    release = make_release(artist=artist)
    listener = make_user()
    wallet.admin_top_up(listener.id, str(buys * 2), f"earn-{artist.id}-{listener.id}")
    db.session.commit()
    for _ in range(buys):
        track = make_track(release=release)
        wallet.buy_now(listener, track.id, f"buy-{track.id}")
        db.session.commit()
    return buys * ARTIST_PART


def stripe_artist(ready=True) -> Artist:
    artist = make_artist()
    db.session.add(
        PayoutDestination(
            artist_id=artist.id,
            method=PayoutMethod.STRIPE,
            stripe_account_id=f"acct_artist{artist.id}",
            stripe_ready=ready,
        )
    )
    db.session.commit()
    return artist


def bank_artist(name=None) -> Artist:
    manager = make_user()
    artist = make_artist(name=name, manager=manager)
    payout_destinations.set_bank_details(
        artist, iban="DE89 3704 0044 0532 0130 00", account_holder="Ada Lovelace", by=manager
    )
    db.session.commit()
    return artist


def run(period: str) -> dict:
    created = payouts.create_run(period)
    db.session.commit()
    return execute_run(created.id)


def payout_of(artist_id: int, period: str) -> Payout:
    db.session.expire_all()
    return db.session.scalar(select(Payout).where(Payout.artist_id == artist_id, Payout.period == period))


def earnings(artist_id: int) -> int:
    return reads.account_balance(db.session, AccountKind.ARTIST_EARNINGS, artist_id)


# --- destinations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "fr14 2004 1010 0505 0001 3m02 606"]
)
def test_valid_ibans_are_normalized(iban):
    assert payout_destinations.normalize_iban(iban) == iban.replace(" ", "").upper()


@pytest.mark.parametrize(
    "iban,why",
    [
        ("DE89370400440532013001", "check digits"),  # one digit off
        ("DE8937040044053201300", "22 characters"),  # too short for Germany
        ("XX89370400440532013000", "country XX"),
        ("not an iban", "two letters"),
    ],
)
def test_invalid_ibans_are_refused(iban, why):
    with pytest.raises(ValidationFailed, match=why):
        payout_destinations.normalize_iban(iban)


def test_bank_details_are_stored_and_shown_masked_to_managers_only(client, app_ctx):
    manager, stranger = make_user(), make_user()
    artist = make_artist(manager=manager)
    enable_two_factor(manager)
    login(client, manager)
    r = client.post(
        f"/artists/{artist.id}/money/bank",
        data={"iban": "DE89370400440532013001", "account_holder": "A"},
        follow_redirects=True,
    )
    assert "check digits do not match" in r.text
    assert r.status_code == 422 and 'value="DE89370400440532013001"' in r.text  # kept to fix, not retype
    assert db.session.get(PayoutDestination, artist.id) is None
    r = client.post(
        f"/artists/{artist.id}/money/bank",
        data={"iban": "de89 3704 0044 0532 0130 00", "account_holder": "Ada Lovelace"},
        follow_redirects=True,
    )
    assert "DE89 **** **** **** **30 00" in r.text and "DE89370400440532013000" not in r.text
    destination = db.session.get(PayoutDestination, artist.id)
    assert (destination.method, destination.iban) == (PayoutMethod.BANK, "DE89370400440532013000")
    client.post("/logout")
    login(client, stranger)
    assert client.get(f"/artists/{artist.id}/money").status_code == 403
    assert (
        client.post(
            f"/artists/{artist.id}/money/bank", data={"iban": "GB82WEST12345698765432", "account_holder": "Eve"}
        ).status_code
        == 403
    )


def test_stripe_connect_onboarding_creates_the_account_once(client, app_ctx, stripe_mode):
    manager = make_user()
    artist = make_artist(manager=manager)
    enable_two_factor(manager)
    login(client, manager)
    stripe_mode.transfers_status = "inactive"
    r = client.post(f"/artists/{artist.id}/money/stripe")
    (create,) = stripe_mode.calls("POST", "/v1/accounts")
    assert create.headers["Idempotency-Key"] == f"artist-{artist.id}-account"
    assert create.form["type"] == "express" and create.form["capabilities[transfers][requested]"] == "true"
    assert create.form["metadata[artist_id]"] == str(artist.id)
    (link,) = stripe_mode.calls("POST", "/v1/account_links")
    account_id = link.form["account"]
    assert link.form["type"] == "account_onboarding"
    assert link.form["return_url"].endswith(f"/artists/{artist.id}/money/stripe/return")
    assert r.headers["Location"] == f"https://connect.stripe.test/setup/{account_id}"

    # Back from Stripe, details still missing: not ready yet.
    r = client.get(f"/artists/{artist.id}/money/stripe/return", follow_redirects=True)
    assert "still needs some details" in r.text
    assert db.session.get(PayoutDestination, artist.id).stripe_ready is False
    # Onboarding again reuses the account.
    client.post(f"/artists/{artist.id}/money/stripe")
    assert len(stripe_mode.calls("POST", "/v1/accounts")) == 1
    stripe_mode.transfers_status = "active"
    r = client.get(f"/artists/{artist.id}/money/stripe/return", follow_redirects=True)
    assert "Stripe account is connected" in r.text
    db.session.expire_all()
    destination = db.session.get(PayoutDestination, artist.id)
    assert destination.stripe_ready and destination.method is PayoutMethod.STRIPE
    assert destination.stripe_account_id == account_id


def test_account_updated_webhook_records_readiness(client, app_ctx, stripe_mode):
    import json

    artist = stripe_artist(ready=False)
    evt = event(
        "account.updated",
        {"id": f"acct_artist{artist.id}", "object": "account", "capabilities": {"transfers": "active"}},
    )
    payload = json.dumps(evt)
    r = client.post(
        "/webhooks/stripe", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )
    assert r.json["outcome"] == "account_updated"
    db.session.expire_all()
    assert db.session.get(PayoutDestination, artist.id).stripe_ready


# --- runs -----------------------------------------------------------------------------------


def test_a_run_pays_stripe_lists_bank_skips_the_rest_and_repeating_it_pays_nobody_twice(
    app, app_ctx, stripe_mode, period
):
    paid_by_stripe, paid_by_bank = stripe_artist(), bank_artist()
    below_minimum, no_method = stripe_artist(), make_artist()
    earned = earn(paid_by_stripe, 14)  # 10.0156 credits = 12.5195 EUR
    earn(paid_by_bank, 12)
    earn(below_minimum, 5)  # 4.47 EUR < 10 EUR
    earn(no_method, 12)

    result = app.test_cli_runner().invoke(args=["payouts", "run", "--period", period])
    assert result.exit_code == 0, result.output
    assert "1 paid, 1 in transit" in result.output

    (call,) = stripe_mode.calls("POST", "/v1/transfers")
    payout = payout_of(paid_by_stripe.id, period)
    assert call.headers["Idempotency-Key"] == f"payout-{payout.id}"
    assert call.form["amount"] == "1251" and call.form["currency"] == "eur"  # floor(12.5195 EUR) in cents
    assert call.form["destination"] == f"acct_artist{paid_by_stripe.id}"
    assert call.form["metadata[payout_id]"] == str(payout.id) and call.form["metadata[period]"] == period
    assert call.form["transfer_group"] == f"payout-{payout.id}"
    assert payout.status is PayoutStatus.PAID and payout.stripe_transfer_id.startswith("tr_")
    assert (payout.amount_cents, payout.credits) == (1251, 1251 * 8000)
    assert earnings(paid_by_stripe.id) == earned - 1251 * 8000  # the remainder waits for next time

    bank = payout_of(paid_by_bank.id, period)
    assert bank.status is PayoutStatus.IN_TRANSIT and bank.amount_cents == 1073
    assert payout_of(below_minimum.id, period) is None and payout_of(no_method.id, period) is None
    assert earnings(below_minimum.id) == 5 * ARTIST_PART and earnings(no_method.id) == 12 * ARTIST_PART

    # Again, twice: nobody is paid twice for the period.
    run(period)
    run(period)
    assert len(stripe_mode.calls("POST", "/v1/transfers")) == 1
    assert db.session.scalar(select(func.count(Payout.id)).where(Payout.period == period)) == 2
    assert reads.account_balance(db.session, AccountKind.PAID_OUT) == 1251 * 8000
    assert reads.account_balance(db.session, AccountKind.PAYOUTS_IN_TRANSIT) == 1073 * 8000
    assert ledger.verify(db.session).ok


def test_bank_payouts_are_listed_in_csv_and_recorded_paid_by_an_admin(client, app_ctx, period):
    artist = bank_artist(name='=HYPERLINK("x")')
    earn(artist, 12)
    run(period)
    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)
    login(client, admin)
    r = client.get("/admin/payouts/bank.csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    (row,) = [row for row in rows if row["period"] == period]
    assert (row["iban"], row["amount"], row["currency"]) == ("DE89370400440532013000", "10.73", "EUR")
    assert row["artist"].startswith("'=")  # a spreadsheet must not run it
    payout_id = int(row["payout_id"])
    assert "Record payment" in client.get("/admin/payouts").text

    r = client.post(f"/admin/payouts/{payout_id}/paid", data={"reference": ""}, follow_redirects=True)
    assert "reference (at most 200 characters)" in r.text
    r = client.post(f"/admin/payouts/{payout_id}/paid", data={"reference": "SEPA-2026-0042"}, follow_redirects=True)
    assert f"Payout {payout_id} recorded as paid" in r.text
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.PAID and "SEPA-2026-0042" in payout.bank_reference
    assert reads.account_balance(db.session, AccountKind.PAYOUTS_IN_TRANSIT) == 0
    r = client.post(f"/admin/payouts/{payout_id}/paid", data={"reference": "again"}, follow_redirects=True)
    assert "already paid" in r.text
    assert period not in client.get("/admin/payouts/bank.csv").text
    assert ledger.verify(db.session).ok


def test_a_refused_transfer_returns_the_credits_to_earnings(app_ctx, stripe_mode, period):
    artist = stripe_artist()
    earned = earn(artist, 14)
    stripe_mode.fail("/v1/transfers", 402, "card_error", code="insufficient_funds", message="Your balance is too low")
    summary = run(period)
    assert summary["returned"] and not summary["paid"]
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.RETURNED and "balance is too low" in payout.last_error
    assert earnings(artist.id) == earned
    assert reads.account_balance(db.session, AccountKind.PAYOUTS_IN_TRANSIT) == 0
    assert ledger.verify(db.session).ok


def test_a_transfer_with_an_unknown_outcome_is_retried_with_the_same_key(app, app_ctx, stripe_mode, period):
    artist = stripe_artist()
    earn(artist, 14)
    stripe_mode.fail("/v1/transfers", 500, "api_error", message="upstream timeout")
    summary = run(period)
    assert summary["in_transit"]
    payout = payout_of(artist.id, period)
    assert payout.status is PayoutStatus.IN_TRANSIT and payout.attempts == 1 and "upstream timeout" in payout.last_error

    result = app.test_cli_runner().invoke(args=["payouts", "retry"])
    assert result.exit_code == 0 and f"payout {payout.id}: paid" in result.output
    keys = [c.headers["Idempotency-Key"] for c in stripe_mode.calls("POST", "/v1/transfers")]
    assert keys == [f"payout-{payout.id}"] * 2
    assert len(stripe_mode.transfers) == 1 and payout_of(artist.id, period).status is PayoutStatus.PAID
    assert ledger.verify(db.session).ok


def test_after_the_last_attempt_stripe_is_asked_before_the_credits_go_back(
    app, app_ctx, stripe_mode, period, monkeypatch
):
    monkeypatch.setitem(app.config, "PAYOUT_MAX_ATTEMPTS", 2)
    lost, never = stripe_artist(), stripe_artist()
    earn(lost, 14)
    earned_never = earn(never, 14)
    # `lost`: Stripe made the transfer, but both answers were lost (5xx after the fact is
    # modelled by failing the calls once the transfer exists).
    run_first = payouts.create_run(period)
    db.session.commit()
    stripe_mode.fail("/v1/transfers", 500, "api_error", times=4)
    execute_run(run_first.id)
    from app.payments.services.payout_runs import retry_in_transit

    stripe_mode._transfers.append(
        {
            "id": "tr_made",
            "object": "transfer",
            "amount": 1251,
            "currency": "eur",
            "destination": f"acct_artist{lost.id}",
            "transfer_group": f"payout-{payout_of(lost.id, period).id}",
            "reversed": False,
        }
    )
    retry_in_transit()
    lost_payout, never_payout = payout_of(lost.id, period), payout_of(never.id, period)
    assert lost_payout.status is PayoutStatus.PAID and lost_payout.stripe_transfer_id == "tr_made"
    assert never_payout.status is PayoutStatus.RETURNED and earnings(never.id) == earned_never
    assert ledger.verify(db.session).ok


def test_an_interrupted_run_resumes_and_pays_each_artist_exactly_once(app_ctx, stripe_mode, period, monkeypatch):
    artists = [stripe_artist() for _ in range(3)]
    for artist in artists:
        earn(artist, 14)
    real_send = payouts.send_transfer
    calls = []

    def crash_on_second(request):
        calls.append(request.payout_id)
        if len(calls) == 2:
            raise SystemExit("the worker was killed")  # after the ledger move, before Stripe
        return real_send(request)

    monkeypatch.setattr(payouts, "send_transfer", crash_on_second)
    first = payouts.create_run(period)
    db.session.commit()
    with pytest.raises(SystemExit):
        execute_run(first.id)
    db.session.expire_all()
    assert db.session.get(PayoutRun, first.id).status is PayoutRunStatus.FAILED
    statuses = [payout_of(a.id, period).status if payout_of(a.id, period) else None for a in artists]
    assert statuses == [PayoutStatus.PAID, PayoutStatus.IN_TRANSIT, None]
    assert len(stripe_mode.transfers) == 1

    monkeypatch.setattr(payouts, "send_transfer", real_send)
    run(period)
    run(period)
    destinations = sorted(t["destination"] for t in stripe_mode.transfers)
    assert destinations == sorted(f"acct_artist{a.id}" for a in artists)  # one transfer each
    assert all(payout_of(a.id, period).status is PayoutStatus.PAID for a in artists)
    assert reads.account_balance(db.session, AccountKind.PAID_OUT) == 3 * 1251 * 8000
    assert ledger.verify(db.session).ok


def test_a_reversed_transfer_puts_the_credits_back(client, app_ctx, stripe_mode, period):
    import json

    artist = stripe_artist()
    artist_id = artist.id  # requests end the test's session: keep plain values
    earned = earn(artist, 14)
    run(period)
    payout = payout_of(artist_id, period)
    evt = event("transfer.reversed", {"id": payout.stripe_transfer_id, "object": "transfer", "reversed": True})
    payload = json.dumps(evt)
    r = client.post(
        "/webhooks/stripe", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )
    assert r.json["outcome"] == "payout_reversed"
    assert payout_of(artist_id, period).status is PayoutStatus.RETURNED
    assert earnings(artist_id) == earned and reads.account_balance(db.session, AccountKind.PAID_OUT) == 0
    assert ledger.verify(db.session).ok


def test_a_partial_reversal_puts_back_only_its_share_of_the_credits(client, app_ctx, stripe_mode, period):
    # Stripe sends transfer.reversed for partial reversals too; amount_reversed is cumulative.
    import json

    artist = stripe_artist()
    artist_id = artist.id
    earned = earn(artist, 14)
    run(period)
    payout = payout_of(artist_id, period)
    payout_id, credits, cents, transfer_id = payout.id, payout.credits, payout.amount_cents, payout.stripe_transfer_id
    after_payout = earnings(artist_id)
    assert after_payout == earned - credits

    def reverse(amount_reversed: int) -> dict:
        evt = event(
            "transfer.reversed",
            {
                "id": transfer_id,
                "object": "transfer",
                "amount": cents,
                "amount_reversed": amount_reversed,
                "reversed": amount_reversed == cents,
            },
        )
        payload = json.dumps(evt)
        r = client.post(
            "/webhooks/stripe",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload)},
        )
        assert r.status_code == 200
        return r.json

    reverse(251)
    partly = credits * 251 // cents  # rounded down: never more back than the money that came back
    assert payout_of(artist_id, period).status is PayoutStatus.PAID
    assert earnings(artist_id) == after_payout + partly
    assert reads.account_balance(db.session, AccountKind.PAID_OUT) == credits - partly
    reverse(251)  # the same state again (another event): nothing more moves
    assert earnings(artist_id) == after_payout + partly
    reverse(cents)  # the rest: now the whole payout is back
    assert payout_of(artist_id, period).status is PayoutStatus.RETURNED
    assert earnings(artist_id) == earned and reads.account_balance(db.session, AccountKind.PAID_OUT) == 0
    assert payout_id and ledger.verify(db.session).ok


def test_periods_must_be_months_that_have_ended(app_ctx):
    with pytest.raises(ValidationFailed, match="like 2026-11"):
        payouts.parse_period("2026-13")
    with pytest.raises(ValidationFailed, match="has not ended"):
        payouts.parse_period("2999-01")
    p = payouts.parse_period("2025-12")
    assert (p.start, p.end) == (datetime(2025, 12, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_admin_runs_payouts_with_a_button_and_sees_progress(client, app_ctx, period):
    artist = bank_artist()
    earn(artist, 12)
    listener, admin = make_user(), make_user(role=Role.ADMIN)
    login(client, listener)
    assert client.post("/admin/payouts/runs", data={"period": period}).status_code == 403
    client.post("/logout")
    enable_two_factor(admin)
    login(client, admin)
    r = client.post("/admin/payouts/runs", data={"period": period})
    run_id = int(r.headers["Location"].rsplit("/", 1)[1])
    progress = client.get(f"/admin/payouts/runs/{run_id}/progress").json
    assert progress["status"] == "done" and progress["done"] == progress["total"] >= 1 and progress["paid"] == 1
    page = client.get(f"/admin/payouts/runs/{run_id}").text
    assert "10.73 EUR" in page and "in transit" in page
    r = client.post("/admin/payouts/runs", data={"period": "2999-01"}, follow_redirects=True)
    assert "has not ended" in r.text


def test_statement_per_track_with_plays_credits_and_the_share_of_the_payout(client, app_ctx, period):
    artist = bank_artist()
    artist_id, manager = artist.id, artist.members[0]
    release = make_release(artist=artist, title="Songs")
    tracks = [make_track(release=release, title=f"Song {n}") for n in range(2)]
    listener = make_user()
    with during_period():
        wallet.admin_top_up(listener.id, "30", "statement-top-up")
        db.session.commit()
        for n in range(9):
            wallet.charge_play(listener, tracks[0], f"s-play-{n}")
            db.session.commit()
        for n in range(11):  # enough buy-nows of other tracks to reach the minimum
            other = make_track(release=release)
            wallet.buy_now(listener, other.id, f"s-buy-{n}")
            db.session.commit()
    run(period)
    login(client, manager)
    page = client.get(f"/artists/{artist_id}/money?period={period}").text
    assert "Song 0" in page and "in transit" in page
    statement = payouts.statement(db.session.get(Artist, artist_id), period)
    line = next(line for line in statement.lines if line.title == "Song 0")
    assert line.plays == 9 and line.credits == ARTIST_PART
    assert sum(line.paid_cents for line in statement.lines) == statement.payout.amount_cents
    assert statement.total_credits == 12 * ARTIST_PART
