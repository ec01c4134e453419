"""Random sequences of operations keep every invariant (hypothesis state machine).

A tiny model of the money rules, written independently of the ledger's code, predicts each
outcome; after every step the ledger must agree with the model and ``verify`` must pass.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import ledger
from ledger import AccountKind, AlreadyOwned, InsufficientCredits, NotPurchasable, PlayKind, PricingParams, reads
from ledger.types import utcnow
from tests.ledger.conftest import rolled_back_session

LISTENERS = [1, 2, 3]
TRACK_ARTIST = {1: 1, 2: 1, 3: 2, 4: 2}  # track -> artist
FREE_TRACKS = {4}
MANAGES = {3: {2}}  # listener 3 manages artist 2


def model_price(params: dict, n: int) -> int:
    # Written differently from ledger.pricing (exact rationals, floored once at the end).

    return int(Fraction(params["first_play_price"]) * Fraction(params["growth_permille"], 1000) ** (n - 1))


def model_split(price: int, share_bp: int) -> tuple[int, int]:
    exact = Fraction(price * share_bp, 10_000)
    artist = int(exact)
    if exact - artist >= Fraction(1, 2):
        artist += 1  # the larger remainder gets the unit; on a tie, the artist (listed first)
    return artist, price - artist


pricing = st.fixed_dictionaries(
    {
        "first_play_price": st.integers(1, 5_000),
        "growth_permille": st.integers(1_000, 3_000),
        "plays_to_own": st.integers(1, 10),
        "artist_share_bp": st.integers(0, 10_000),
        "starter_grant": st.integers(0, 300_000),
    }
)


class LedgerMachine(RuleBasedStateMachine):
    engine = None  # set by the test below

    @initialize()
    def start(self):
        self._session_cm = rolled_back_session(self.engine)
        self.s = self._session_cm.__enter__()
        version = ledger.pricing_in_force(self.s)
        self.params = {name: getattr(version, name) for name in PricingParams.__dataclass_fields__}
        self.balance = dict.fromkeys(LISTENERS, 0)
        self.earned = dict.fromkeys(TRACK_ARTIST.values(), 0)
        self.coop = 0
        self.counted: dict[tuple[int, int], int] = {}
        self.owned: set[tuple[int, int]] = set()
        self.granted: set[int] = set()
        self.keys = itertools.count()
        self.plays_done: list[tuple[str, int, int, object]] = []

    def teardown(self):
        if getattr(self, "_session_cm", None) is not None:
            self._session_cm.__exit__(None, None, None)

    def key(self) -> str:
        return f"k{next(self.keys)}"

    @rule(listener=st.sampled_from(LISTENERS), amount=st.integers(1, 1_500_000))
    def top_up(self, listener, amount):
        ledger.top_up(self.s, key=self.key(), listener_id=listener, amount=amount)
        self.balance[listener] += amount

    @rule(listener=st.sampled_from(LISTENERS))
    def grant(self, listener):
        result = ledger.grant_starter(self.s, listener_id=listener)
        if listener not in self.granted:
            if self.params["starter_grant"] == 0:
                assert result is None
                return
            self.granted.add(listener)
            self.balance[listener] += self.params["starter_grant"]
        else:
            assert result.replayed

    def _costs_nothing(self, listener, track) -> PlayKind | None:
        if (listener, track) in self.owned:
            return PlayKind.OWNED
        if TRACK_ARTIST[track] in MANAGES.get(listener, set()):
            return PlayKind.OWN_ARTIST
        if track in FREE_TRACKS:
            return PlayKind.FREE_TRACK
        return None

    def _charge(self, listener, track, price):
        artist_part, coop_part = model_split(price, self.params["artist_share_bp"])
        self.balance[listener] -= price
        self.earned[TRACK_ARTIST[track]] += artist_part
        self.coop += coop_part
        return artist_part, coop_part

    @rule(listener=st.sampled_from(LISTENERS), track=st.sampled_from(sorted(TRACK_ARTIST)))
    def play(self, listener, track):
        key = self.key()
        call = dict(
            key=key,
            listener_id=listener,
            track_id=track,
            artist_id=TRACK_ARTIST[track],
            track_is_free=track in FREE_TRACKS,
            listener_is_artist=TRACK_ARTIST[track] in MANAGES.get(listener, set()),
        )
        free_kind = self._costs_nothing(listener, track)
        counted = self.counted.get((listener, track), 0)
        if free_kind is None and counted >= self.params["plays_to_own"]:
            free_kind = PlayKind.OWNED
            self.owned.add((listener, track))
        if free_kind is not None:
            result = ledger.charge_play(self.s, **call)
            assert (result.kind, result.price, result.play_number) == (free_kind, 0, None)
        else:
            n = counted + 1
            price = model_price(self.params, n)
            if self.balance[listener] < price:
                try:
                    ledger.charge_play(self.s, **call)
                except InsufficientCredits as exc:
                    assert (exc.balance, exc.price) == (self.balance[listener], price)
                    return
                raise AssertionError("expected InsufficientCredits")
            result = ledger.charge_play(self.s, **call)
            artist_part, coop_part = self._charge(listener, track, price)
            assert (result.kind, result.play_number, result.price) == (PlayKind.CHARGED, n, price)
            assert (result.artist_part, result.coop_part) == (artist_part, coop_part)
            self.counted[(listener, track)] = n
            if n == self.params["plays_to_own"]:
                self.owned.add((listener, track))
            assert result.owned_after == ((listener, track) in self.owned)
        self.plays_done.append((key, listener, track, result))

    @rule(data=st.data())
    def retry_a_play(self, data):
        if not self.plays_done:
            return
        key, listener, track, first = data.draw(st.sampled_from(self.plays_done))
        again = ledger.charge_play(
            self.s,
            key=key,
            listener_id=listener,
            track_id=track,
            artist_id=TRACK_ARTIST[track],
            track_is_free=track in FREE_TRACKS,
            listener_is_artist=TRACK_ARTIST[track] in MANAGES.get(listener, set()),
        )
        assert again.replayed and (again.play_id, again.price, again.play_number) == (
            first.play_id,
            first.price,
            first.play_number,
        )

    @rule(listener=st.sampled_from(LISTENERS), track=st.sampled_from(sorted(TRACK_ARTIST)))
    def buy_now(self, listener, track):
        call = dict(
            key=self.key(),
            listener_id=listener,
            track_id=track,
            artist_id=TRACK_ARTIST[track],
            track_is_free=track in FREE_TRACKS,
            listener_is_artist=TRACK_ARTIST[track] in MANAGES.get(listener, set()),
        )
        kind = self._costs_nothing(listener, track)
        if kind in (PlayKind.FREE_TRACK, PlayKind.OWN_ARTIST):
            try:
                ledger.buy_now(self.s, **call)
            except NotPurchasable:
                return
            raise AssertionError("expected NotPurchasable")
        if kind is PlayKind.OWNED:
            try:
                ledger.buy_now(self.s, **call)
            except AlreadyOwned:
                return
            raise AssertionError("expected AlreadyOwned")
        counted = self.counted.get((listener, track), 0)
        rest = sum(model_price(self.params, n) for n in range(counted + 1, self.params["plays_to_own"] + 1))
        if self.balance[listener] < rest:
            try:
                ledger.buy_now(self.s, **call)
            except InsufficientCredits as exc:
                assert (exc.balance, exc.price) == (self.balance[listener], rest)
                return
            raise AssertionError("expected InsufficientCredits")
        result = ledger.buy_now(self.s, **call)
        assert result.price == rest
        if rest:
            assert (result.artist_part, result.coop_part) == self._charge(listener, track, rest)
        self.owned.add((listener, track))

    @rule(params=pricing)
    def new_pricing_version(self, params):
        full = {**self.params, **params}
        candidate = PricingParams(**full)
        try:
            candidate.validate()
        except ledger.InvalidOperation:
            return  # e.g. a schedule whose later plays would round to zero
        ledger.enact_pricing(self.s, candidate, effective_from=utcnow())
        self.params = full

    @invariant()
    def ledger_agrees_with_the_model(self):
        if not hasattr(self, "s"):
            return
        for listener, expected in self.balance.items():
            assert reads.wallet_balance(self.s, listener) == expected
        for artist, expected in self.earned.items():
            assert reads.artist_earnings(self.s, artist) == expected
        assert reads.account_balance(self.s, AccountKind.COOP_REVENUE) == self.coop
        for listener in LISTENERS:
            owned = {t.track_id for t in reads.owned_tracks(self.s, listener)}
            assert owned == {t for (who, t) in self.owned if who == listener}
        report = ledger.verify(self.s)
        assert report.ok, report.lines()


def test_random_operation_sequences_keep_every_invariant(ledger_engine):
    LedgerMachine.engine = ledger_engine
    LedgerMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()
