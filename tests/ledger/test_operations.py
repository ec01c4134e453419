"""The ledger's operations, one behaviour per test, on a real database."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

import ledger
from ledger import (
    AccountKind,
    AlreadyOwned,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidOperation,
    NegativeBalance,
    NotPurchasable,
    PlayKind,
    PricingParams,
    TransferKind,
    reads,
)
from ledger.schema import Ownership, Play, Posting, Transfer
from ledger.types import utcnow

LISTENER, TRACK, ARTIST = 11, 21, 31


def play(session, key, *, listener=LISTENER, track=TRACK, artist=ARTIST, free=False, own=False):
    return ledger.charge_play(
        session,
        key=key,
        listener_id=listener,
        track_id=track,
        artist_id=artist,
        track_is_free=free,
        listener_is_artist=own,
    )


def buy(session, key, *, listener=LISTENER, track=TRACK, artist=ARTIST, free=False, own=False):
    return ledger.buy_now(
        session,
        key=key,
        listener_id=listener,
        track_id=track,
        artist_id=artist,
        track_is_free=free,
        listener_is_artist=own,
    )


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def assert_verified(session):
    report = ledger.verify(session)
    assert report.ok, report.lines()


def test_top_up_moves_credits_from_payments_clearing(ls):
    result = ledger.top_up(ls, key="pay-1", listener_id=LISTENER, amount=5_000_000)
    assert result.kind is TransferKind.TOP_UP and not result.replayed
    assert reads.wallet_balance(ls, LISTENER) == 5_000_000
    assert reads.account_balance(ls, AccountKind.PAYMENTS_CLEARING) == -5_000_000
    assert_verified(ls)


@pytest.mark.parametrize("amount", [ledger.MAX_AMOUNT + 1, 2**63, 10**30])
def test_amounts_the_columns_cannot_hold_are_refused_and_nothing_is_written(ls, amount):
    # A BIGINT holds 2^63 - 1; a balance must also have room to add amounts up.
    transfers = count(ls, Transfer)
    with pytest.raises(InvalidOperation):
        ledger.top_up(ls, key="huge", listener_id=LISTENER, amount=amount)
    with pytest.raises(InvalidOperation):
        ledger.parse_credits(str(amount))
    assert count(ls, Transfer) == transfers and reads.wallet_balance(ls, LISTENER) == 0


def test_starter_grant_is_given_once(ls):
    first = ledger.grant_starter(ls, listener_id=LISTENER)
    again = ledger.grant_starter(ls, listener_id=LISTENER)
    assert again.replayed and again.id == first.id
    assert reads.wallet_balance(ls, LISTENER) == 200_000
    assert reads.account_balance(ls, AccountKind.COOP_PROMOTIONS) == -200_000


def test_nine_plays_cost_the_schedule_and_make_the_track_owned(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=2_000_000)
    results = [play(ls, f"play-{n}") for n in range(1, 10)]
    assert [r.play_number for r in results] == list(range(1, 10))
    assert [r.price for r in results] == [2_000 * 2**k for k in range(9)]
    assert all(r.artist_part + r.coop_part == r.price for r in results)
    assert [r.owned_after for r in results] == [False] * 8 + [True]
    assert reads.wallet_balance(ls, LISTENER) == 2_000_000 - 1_022_000
    assert reads.artist_earnings(ls, ARTIST) == 715_400  # 70 % of 1.022 credits
    assert reads.account_balance(ls, AccountKind.COOP_REVENUE) == 306_600
    tenth = play(ls, "play-10")
    assert tenth.kind is PlayKind.OWNED and tenth.price == 0 and tenth.play_number is None
    assert reads.wallet_balance(ls, LISTENER) == 978_000
    progress = reads.track_progress(ls, LISTENER, TRACK)
    assert (progress.plays_counted, progress.credits_paid, progress.credits_to_own, progress.owned) == (
        9,
        1_022_000,
        0,
        True,
    )
    assert [t.track_id for t in reads.owned_tracks(ls, LISTENER)] == [TRACK]
    assert_verified(ls)


def test_free_and_own_tracks_cost_nothing_and_are_recorded(ls):
    free = play(ls, "free", free=True)
    own = play(ls, "own", own=True)
    assert (free.kind, free.price) == (PlayKind.FREE_TRACK, 0)
    assert (own.kind, own.price) == (PlayKind.OWN_ARTIST, 0)
    assert count(ls, Transfer) == 0
    assert [p.kind for p in reads.play_history(ls, LISTENER)] == [PlayKind.OWN_ARTIST, PlayKind.FREE_TRACK]
    assert reads.artist_earnings(ls, ARTIST) == 0


def test_insufficient_credits_writes_nothing(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=7_000)
    play(ls, "p1")
    play(ls, "p2")
    before = (count(ls, Transfer), count(ls, Posting), count(ls, Play))
    with pytest.raises(InsufficientCredits) as caught:
        play(ls, "p3")
    assert (caught.value.balance, caught.value.price) == (1_000, 8_000)
    assert (count(ls, Transfer), count(ls, Posting), count(ls, Play)) == before
    assert reads.wallet_balance(ls, LISTENER) == 1_000
    # A brand-new listener with no wallet: nothing at all is written, not even the wallet.
    accounts_before = ls.scalar(text("SELECT count(*) FROM ledger_accounts"))
    with pytest.raises(InsufficientCredits) as caught:
        play(ls, "p-new", listener=999)
    assert (caught.value.balance, caught.value.price) == (0, 2_000)
    assert ls.scalar(text("SELECT count(*) FROM ledger_accounts")) == accounts_before
    assert_verified(ls)


def test_retried_play_key_returns_the_first_result_and_other_content_conflicts(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=1_000_000)
    first = play(ls, "play-abc")
    again = play(ls, "play-abc")
    assert again.replayed and (again.play_id, again.price, again.play_number) == (first.play_id, 2_000, 1)
    assert reads.wallet_balance(ls, LISTENER) == 998_000
    with pytest.raises(IdempotencyConflict):
        play(ls, "play-abc", track=TRACK + 1)
    with pytest.raises(IdempotencyConflict):
        ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=2)
    assert ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=1_000_000).replayed
    assert_verified(ls)


def test_buy_now_charges_the_rest_of_the_schedule(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=2_000_000)
    for n in range(3):
        play(ls, f"p{n}")
    purchase = buy(ls, "buy-1")
    assert purchase.price == 1_022_000 - 14_000
    assert purchase.artist_part + purchase.coop_part == purchase.price
    assert purchase.artist_part == 7 * purchase.price // 10
    assert buy(ls, "buy-1").replayed
    with pytest.raises(AlreadyOwned):
        buy(ls, "buy-2")
    with pytest.raises(NotPurchasable):
        buy(ls, "buy-3", track=99, free=True)
    progress = reads.track_progress(ls, LISTENER, TRACK)
    assert progress.owned and progress.credits_paid == 1_022_000 and progress.credits_to_own == 0
    assert play(ls, "after").kind is PlayKind.OWNED
    assert_verified(ls)


def test_buy_now_without_enough_credits_writes_nothing(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=1_000_000)
    with pytest.raises(InsufficientCredits) as caught:
        buy(ls, "buy")
    assert (caught.value.balance, caught.value.price) == (1_000_000, 1_022_000)
    assert ls.scalar(select(func.count()).select_from(Ownership)) == 0
    assert reads.wallet_balance(ls, LISTENER) == 1_000_000


def test_a_new_pricing_version_prices_later_plays_only(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=5_000_000)
    old = play(ls, "p1")
    new_version = ledger.enact_pricing(
        ls,
        PricingParams(first_play_price=3_000, growth_permille=1_500, plays_to_own=4, artist_share_bp=8_000),
        effective_from=utcnow(),
        proposal_id=42,
    )
    second = play(ls, "p2")
    assert (second.pricing_version_id, second.play_number, second.price) == (new_version.id, 2, 4_500)
    assert second.artist_part == 3_600
    assert ls.get(Play, old.play_id).pricing_version_id == old.pricing_version_id != new_version.id
    assert ls.get(Play, old.play_id).price == 2_000  # nothing already charged is repriced
    assert reads.track_progress(ls, LISTENER, TRACK).credits_to_own == 6_750 + 10_125
    assert_verified(ls)


def test_lowering_plays_to_own_completes_schedules_already_past_it(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=5_000_000)
    for n in range(5):
        play(ls, f"p{n}")
    ledger.enact_pricing(ls, PricingParams(plays_to_own=3), effective_from=utcnow())
    sixth = play(ls, "p5")
    assert sixth.kind is PlayKind.OWNED and sixth.owned_after and sixth.price == 0
    assert reads.owns(ls, LISTENER, TRACK)
    assert_verified(ls)


def test_correction_reverses_a_transfer_with_a_new_one(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=1_000_000)
    charge = play(ls, "p1")
    fix = ledger.correct(ls, key="fix-1", transfer_id=charge.transfer_id, memo="double charge")
    assert fix.kind is TransferKind.CORRECTION
    assert reads.wallet_balance(ls, LISTENER) == 1_000_000
    assert reads.artist_earnings(ls, ARTIST) == 0
    assert ls.get(Transfer, fix.id).corrects_transfer_id == charge.transfer_id
    assert ledger.correct(ls, key="fix-1", transfer_id=charge.transfer_id, memo="double charge").replayed
    # A transfer is reversed once (a second reversal would also take the artist's earnings
    # below zero).
    with pytest.raises(AlreadyReversed):
        ledger.correct(ls, key="fix-2", transfer_id=charge.transfer_id)
    assert_verified(ls)


def test_a_second_reversal_is_refused_even_when_the_balances_would_allow_it(ls):
    first = ledger.top_up(ls, key="pay-a", listener_id=LISTENER, amount=1_000_000)
    ledger.top_up(ls, key="pay-b", listener_id=LISTENER, amount=5_000_000)
    undo = ledger.correct(ls, key="undo-a", transfer_id=first.id, memo="paid twice")
    assert ls.get(Transfer, undo.id).reverses_transfer_id == first.id
    with pytest.raises(AlreadyReversed) as refused:
        ledger.correct(ls, key="undo-a-again", transfer_id=first.id)
    assert refused.value.transfer_id == first.id
    assert reads.wallet_balance(ls, LISTENER) == 5_000_000  # reversed once
    assert ledger.correct(ls, key="undo-a", transfer_id=first.id, memo="paid twice").replayed
    # Adjustments (given postings) are not reversals: several may correct one transfer.
    wallet = ledger.wallet_account_id(ls, LISTENER)
    clearing = ledger.system_account_id(ls, AccountKind.PAYMENTS_CLEARING)
    for n in range(2):
        ledger.correct(ls, key=f"adjust-a-{n}", transfer_id=first.id, postings=[(wallet, -100), (clearing, 100)])
    assert reads.wallet_balance(ls, LISTENER) == 5_000_000 - 200
    assert_verified(ls)


def test_transfer_primitive_refuses_bad_postings(ls):
    wallet = ledger.wallet_account_id(ls, LISTENER)
    clearing = ledger.system_account_id(ls, AccountKind.PAYMENTS_CLEARING)
    for postings in (
        [(clearing, -5), (wallet, 4)],
        [(clearing, -5.0), (wallet, 5.0)],
        [(clearing, 0), (wallet, 0)],
        [(wallet, 5)],
        [(clearing, -5), (clearing, 5)],
        [(clearing, True), (wallet, -1)],
        "junk",
    ):
        with pytest.raises(InvalidOperation):
            ledger.transfer(ls, "k", postings, kind=TransferKind.TOP_UP)
    with pytest.raises(InvalidOperation):
        ledger.transfer(ls, "k", [(clearing, -5), (424242, 5)], kind=TransferKind.TOP_UP)
    with pytest.raises(InsufficientCredits):
        ledger.transfer(ls, "refund", [(wallet, -5), (clearing, 5)], kind=TransferKind.REFUND)
    assert count(ls, Transfer) == 0


def test_payout_path_earnings_to_transit_to_paid_out(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=1_000_000)
    play(ls, "p1")
    earnings = ledger.artist_account_id(ls, ARTIST)
    transit = ledger.system_account_id(ls, AccountKind.PAYOUTS_IN_TRANSIT)
    paid_out = ledger.system_account_id(ls, AccountKind.PAID_OUT)
    with pytest.raises(NegativeBalance):
        ledger.transfer(ls, "payout-1", [(earnings, -1_401), (transit, 1_401)], kind=TransferKind.PAYOUT)
    ledger.transfer(ls, "payout-1", [(earnings, -1_400), (transit, 1_400)], kind=TransferKind.PAYOUT)
    ledger.transfer(ls, "settle-1", [(transit, -1_400), (paid_out, 1_400)], kind=TransferKind.PAYOUT_SETTLED)
    assert reads.artist_earnings(ls, ARTIST) == 0
    assert reads.account_balance(ls, AccountKind.PAID_OUT) == 1_400
    assert_verified(ls)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_postings SET amount = amount + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transfers SET memo = 'x'",
        "DELETE FROM ledger_plays",
        "UPDATE ledger_ownerships SET paid = 0",
        "UPDATE ledger_pricing_versions SET first_play_price = 1",
        "TRUNCATE ledger_postings",  # row triggers do not see a TRUNCATE
        "TRUNCATE ledger_plays",
        "TRUNCATE ledger_ownerships",
        "TRUNCATE ledger_transfers CASCADE",  # past the foreign keys to it
    ],
)
def test_history_cannot_be_edited(ls, statement):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=2_000_000)
    buy(ls, "buy")
    play(ls, "p", track=TRACK + 1)
    with pytest.raises((IntegrityError, DBAPIError)) as caught, ls.begin_nested():
        ls.execute(text(statement))
    assert "immutable" in str(caught.value)


def test_wallet_balance_cannot_go_negative_even_bypassing_the_ledger(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=5)
    with pytest.raises(IntegrityError), ls.begin_nested():
        ls.execute(text("UPDATE ledger_accounts SET balance = -1 WHERE kind = 'wallet'"))


def test_history_pages(ls):
    ledger.top_up(ls, key="pay", listener_id=LISTENER, amount=2_000_000)
    ids = [play(ls, f"p{n}", track=100 + n).play_id for n in range(5)]
    page1 = reads.play_history(ls, LISTENER, limit=2)
    page2 = reads.play_history(ls, LISTENER, limit=2, before_id=page1[-1].id)
    assert [p.id for p in page1 + page2] == ids[::-1][:4]
    statement = reads.wallet_statement(ls, LISTENER, limit=10)
    assert [line.amount for line in statement] == [-2_000] * 5 + [2_000_000]
    assert statement[0].kind is TransferKind.PLAY_CHARGE


def test_bad_arguments_are_refused_before_anything_is_written(ls):
    with pytest.raises(InvalidOperation):
        ledger.top_up(ls, key="k", listener_id=LISTENER, amount=1.5)
    with pytest.raises(InvalidOperation):
        ledger.top_up(ls, key="k", listener_id=0, amount=1)
    with pytest.raises(InvalidOperation):
        ledger.top_up(ls, key="", listener_id=LISTENER, amount=1)
    with pytest.raises(InvalidOperation):
        play(ls, "k", free="no")
    assert count(ls, Transfer) == 0
