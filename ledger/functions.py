"""The money rules as PostgreSQL functions: the one implementation of charging a play, buying
a track now and quoting the next play.

Each operation is one database call (one round trip), so a charge costs the client almost
nothing and its row locks are held for the server's time only, not for Python's. The Python
API (``ledger.operations.charge_play``, ``buy_now``, ``ledger.reads.play_quote``) validates
the arguments, calls these functions and maps their outcome to result dataclasses and the
ledger's exceptions.

Rules implemented here and nowhere else:

* the price of the n-th counted play, ``floor(first * growth^(n-1) / 1000^(n-1))``, exactly
  (numeric arithmetic, no overflow), and the rest of the schedule (the buy-now price);
* the pricing version in force at a time, recorded on every charge;
* plays-to-own: the charge that completes the schedule makes the track owned; a newer
  version that lowered plays-to-own below what was played makes it owned for free;
* free tracks, the listener's own artist's tracks and owned tracks are free plays;
* the artist share split by largest remainder (ties to the artist, listed first), the same
  rule as ``ledger.allocation.allocate``;
* the wallet never goes negative: its row is locked (``FOR NO KEY UPDATE``) and its balance
  checked before anything is written; nothing is written when it cannot pay (not even the
  wallet of a new listener);
* a transfer's effective time: a play charge is effective at the play's start (``p_at``, the
  time its price was fixed at), a buy-now at the moment of the operation (``p_now``);
* the idempotency key and fingerprint: a retried key answers the first result, the same
  key with other content is a conflict; a concurrent insert of the same key is caught by
  ``ON CONFLICT DO NOTHING`` (no exception block, no subtransaction).

Expected refusals are *returned* as an ``outcome`` (never raised), so the caller's
transaction stays usable without a SAVEPOINT: 'ok', 'replayed', 'conflict',
'insufficient' (with ``balance`` and ``needed``), 'no_pricing', and for buy-now also
'not_purchasable' and 'already_owned'.

``ledger.metadata.create_all`` installs these (see ``ledger.schema``); the migrations run
frozen copies (``0009_money_functions``, and each later revision that changed a function
holds a new copy of it); a test keeps the latest copy of each equal to this one.
"""

from __future__ import annotations

# The columns every play operation answers with (one row).
PLAY_OUTCOME_COLUMNS = (
    "outcome text, play_id integer, kind text, play_number integer, price bigint, artist_part bigint,"
    " coop_part bigint, pricing_version_id integer, transfer_id integer, owned_after boolean, replayed boolean,"
    " balance bigint, plays_to_own integer, credits_to_own numeric, needed numeric"
)
# Their names, in order (a caller reading the answer by position).
PLAY_OUTCOME_NAMES = tuple(column.split()[0] for column in PLAY_OUTCOME_COLUMNS.split(","))
PURCHASE_OUTCOME_COLUMNS = (
    "outcome text, price numeric, artist_part numeric, coop_part numeric, pricing_version_id integer,"
    " transfer_id integer, replayed boolean, balance bigint"
)

_PLAY_PRICE = """\
CREATE OR REPLACE FUNCTION ledger_play_price(first_price bigint, growth integer, n integer)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
-- The n-th counted play's price: floor(first * growth^(n-1) / 1000^(n-1)), exact.
DECLARE num numeric := first_price; den numeric := 1;
BEGIN
  FOR i IN 2..n LOOP
    num := num * growth;
    den := den * 1000;
  END LOOP;
  RETURN div(num, den);
END $$"""

_REMAINING_COST = """\
CREATE OR REPLACE FUNCTION ledger_remaining_cost(first_price bigint, growth integer, plays_to_own integer,
                                                 counted integer)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
-- What plays counted+1 .. plays_to_own cost together (0 when the schedule is complete).
DECLARE num numeric := first_price; den numeric := 1; total numeric := 0;
BEGIN
  FOR i IN 1..plays_to_own LOOP
    IF i > 1 THEN
      num := num * growth;
      den := den * 1000;
    END IF;
    IF i > counted THEN
      total := total + div(num, den);
    END IF;
  END LOOP;
  RETURN total;
END $$"""

_SPLIT = """\
CREATE OR REPLACE FUNCTION ledger_split(amount numeric, artist_share_bp integer,
                                        OUT artist_part numeric, OUT coop_part numeric)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
-- Largest remainder over the weights (share, 10000 - share); a tie goes to the artist.
DECLARE artist_rem numeric; coop_rem numeric;
BEGIN
  artist_part := div(amount * artist_share_bp, 10000);
  coop_part := div(amount * (10000 - artist_share_bp), 10000);
  artist_rem := mod(amount * artist_share_bp, 10000);
  coop_rem := mod(amount * (10000 - artist_share_bp), 10000);
  IF artist_part + coop_part < amount THEN
    IF artist_rem >= coop_rem THEN
      artist_part := artist_part + 1;
    ELSE
      coop_part := coop_part + 1;
    END IF;
  END IF;
END $$"""

_FINGERPRINT = """\
CREATE OR REPLACE FUNCTION ledger_play_fingerprint(operation text, listener_id integer, track_id integer,
                                                   artist_id integer, track_is_free boolean,
                                                   listener_is_artist boolean)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- The same digest as ledger.transfers.fingerprint(operation, listener, track, artist, free, own).
  -- STABLE, not STRICT: as to_json() and format() are. PostgreSQL inlines a SQL function only
  -- when its declaration promises no more than its body keeps; otherwise each call runs an
  -- executor of its own inside the charge.
  SELECT encode(sha256(convert_to(format('[%s,%s,%s,%s,%s,%s]', to_json(operation), listener_id, track_id,
                                         artist_id, track_is_free::text, listener_is_artist::text), 'UTF8')), 'hex')
$$"""

_ACCOUNT = """\
CREATE OR REPLACE FUNCTION ledger_account(p_kind text, p_owner integer)
RETURNS integer LANGUAGE plpgsql AS $$
-- The id of an account, created on first use (two sessions creating it end with one row).
DECLARE found_id integer;
BEGIN
  SELECT a.id INTO found_id FROM ledger_accounts a WHERE a.kind = p_kind AND a.owner_id = p_owner;
  IF found_id IS NULL THEN
    INSERT INTO ledger_accounts (kind, owner_id, balance, created_at)
    VALUES (p_kind, p_owner, CASE WHEN p_kind = 'wallet' THEN 0 END, clock_timestamp())
    ON CONFLICT (kind, owner_id) DO NOTHING;
    SELECT a.id INTO found_id FROM ledger_accounts a WHERE a.kind = p_kind AND a.owner_id = p_owner;
  END IF;
  RETURN found_id;
END $$"""

_PLAY_ANSWER = f"""\
CREATE OR REPLACE FUNCTION ledger_play_answer(play_key text, fp text)
RETURNS TABLE({PLAY_OUTCOME_COLUMNS}) LANGUAGE sql STABLE AS $$
  -- The first result of a play key, or a conflict when the content differs.
  SELECT CASE WHEN p.fingerprint = fp THEN 'replayed' ELSE 'conflict' END, p.id, p.kind::text, p.play_number, p.price,
         p.artist_part, p.coop_part, p.pricing_version_id, p.transfer_id,
         EXISTS (SELECT 1 FROM ledger_ownerships o
                 WHERE o.listener_id = p.listener_id AND o.track_id = p.track_id AND o.acquired_at <= p.created_at),
         true, NULL::bigint, NULL::integer, NULL::numeric, NULL::numeric
  FROM ledger_plays p WHERE p.idempotency_key = play_key
$$"""

_CHARGE_PLAY = f"""\
CREATE OR REPLACE FUNCTION ledger_charge_play(p_key text, p_listener integer, p_track integer, p_artist integer,
                                              p_free boolean, p_is_artist boolean, p_at timestamptz DEFAULT NULL,
    p_now timestamptz DEFAULT NULL)
RETURNS TABLE({PLAY_OUTCOME_COLUMNS}) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_now timestamptz := coalesce(p_now, clock_timestamp());  -- the caller's clock, when given
  v_fp text := ledger_play_fingerprint('play', p_listener, p_track, p_artist, p_free, p_is_artist);
  v_wallet integer;
  v_balance bigint;
  v ledger_pricing_versions;
  v_counted integer;
  v_owned boolean;
  v_kind text;
  v_n integer;
  v_price bigint;
  v_needed numeric;
  v_artist_part bigint;
  v_coop_part bigint;
  v_artist_account integer;
  v_coop_account integer;
  v_transfer integer;
  v_play integer;
  v_replayed boolean;
BEGIN
  -- The wallet's lock serialises play numbering and ownership for the listener.
  SELECT a.id, a.balance INTO v_wallet, v_balance FROM ledger_accounts a
  WHERE a.kind = 'wallet' AND a.owner_id = p_listener FOR NO KEY UPDATE;
  v_balance := coalesce(v_balance, 0);
  SELECT * INTO v FROM ledger_pricing_versions pv WHERE pv.effective_from <= coalesce(p_at, v_now)
  ORDER BY pv.effective_from DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_pricing', NULL::integer, NULL::text, NULL::integer, NULL::bigint, NULL::bigint,
      NULL::bigint, NULL::integer, NULL::integer, false, false, NULL::bigint, NULL::integer, NULL::numeric,
      NULL::numeric;
    RETURN;
  END IF;
  -- What the wallet's lock now makes stable, read in one statement: the key, ownership, plays.
  SELECT EXISTS (SELECT 1 FROM ledger_plays p WHERE p.idempotency_key = p_key),
         EXISTS (SELECT 1 FROM ledger_ownerships o WHERE o.listener_id = p_listener AND o.track_id = p_track),
         (SELECT coalesce(max(p.play_number), 0) FROM ledger_plays p
          WHERE p.listener_id = p_listener AND p.track_id = p_track)
  INTO v_replayed, v_owned, v_counted;
  IF v_replayed THEN
    RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);
    RETURN;
  END IF;

  v_kind := CASE WHEN v_owned THEN 'owned' WHEN p_is_artist THEN 'own_artist' WHEN p_free THEN 'free_track'
                 WHEN v_counted >= v.plays_to_own THEN 'owned' END;
  IF v_kind IS NOT NULL THEN
    IF v_wallet IS NULL THEN  -- a new listener: the wallet's lock still serialises their plays
      PERFORM ledger_account('wallet', p_listener);
      SELECT a.id INTO v_wallet FROM ledger_accounts a
      WHERE a.kind = 'wallet' AND a.owner_id = p_listener FOR NO KEY UPDATE;
    END IF;
    INSERT INTO ledger_plays (idempotency_key, fingerprint, listener_id, track_id, artist_id, kind, play_number,
                              price, artist_part, coop_part, transfer_id, pricing_version_id, created_at)
    VALUES (p_key, v_fp, p_listener, p_track, p_artist, v_kind, NULL, 0, 0, 0, NULL, NULL, v_now)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_play;
    IF v_play IS NULL THEN  -- another session recorded this key meanwhile
      RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);
      RETURN;
    END IF;
    IF NOT v_owned AND v_kind = 'owned' THEN
      -- A newer version lowered plays-to-own below what was played: the schedule is complete.
      INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,
                                     acquired_at)
      VALUES (p_listener, p_track, p_artist, 'plays', NULL, v.id, 0, v_now);
    END IF;
    RETURN QUERY SELECT 'ok', v_play, v_kind, NULL::integer, 0::bigint, 0::bigint, 0::bigint, NULL::integer,
      NULL::integer, v_kind = 'owned', false, v_balance, v.plays_to_own, 0::numeric, NULL::numeric;
    RETURN;
  END IF;

  v_n := v_counted + 1;
  v_needed := ledger_play_price(v.first_play_price, v.growth_permille, v_n);
  IF v_wallet IS NULL OR v_balance < v_needed THEN
    RETURN QUERY SELECT 'insufficient', NULL::integer, NULL::text, NULL::integer, NULL::bigint, NULL::bigint,
      NULL::bigint, NULL::integer, NULL::integer, false, false, v_balance, NULL::integer, NULL::numeric, v_needed;
    RETURN;
  END IF;
  v_price := v_needed;
  SELECT s.artist_part, s.coop_part INTO v_artist_part, v_coop_part FROM ledger_split(v_price, v.artist_share_bp) s;
  v_artist_account := ledger_account('artist_earnings', p_artist);
  v_coop_account := ledger_account('coop_revenue', 0);
  INSERT INTO ledger_transfers (idempotency_key, fingerprint, kind, listener_id, track_id, pricing_version_id,
                                corrects_transfer_id, memo, created_at, effective_at)
  VALUES ('play:' || p_key, v_fp, 'play_charge', p_listener, p_track, v.id, NULL, '', v_now,
          coalesce(p_at, v_now))  -- effective at the play's start
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_transfer;
  IF v_transfer IS NULL THEN  -- another session charged this key meanwhile
    RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);
    RETURN;
  END IF;
  INSERT INTO ledger_postings (transfer_id, account_id, amount)
  SELECT v_transfer, legs.account, legs.amount
  FROM (VALUES (v_wallet, -v_price), (v_artist_account, v_artist_part), (v_coop_account, v_coop_part))
       AS legs (account, amount)
  WHERE legs.amount <> 0 ORDER BY legs.account;
  UPDATE ledger_accounts a SET balance = a.balance - v_price WHERE a.id = v_wallet;
  INSERT INTO ledger_plays (idempotency_key, fingerprint, listener_id, track_id, artist_id, kind, play_number,
                            price, artist_part, coop_part, transfer_id, pricing_version_id, created_at)
  VALUES (p_key, v_fp, p_listener, p_track, p_artist, 'charged', v_n, v_price, v_artist_part, v_coop_part,
          v_transfer, v.id, v_now)
  RETURNING id INTO v_play;
  IF v_n = v.plays_to_own THEN
    INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,
                                   acquired_at)
    VALUES (p_listener, p_track, p_artist, 'plays', v_transfer, v.id, 0, v_now);
  END IF;
  RETURN QUERY SELECT 'ok', v_play, 'charged', v_n, v_price, v_artist_part, v_coop_part, v.id, v_transfer,
    v_n = v.plays_to_own, false, v_balance - v_price, v.plays_to_own,
    ledger_remaining_cost(v.first_play_price, v.growth_permille, v.plays_to_own, v_n), NULL::numeric;
END $$"""

_PURCHASE_ANSWER = f"""\
CREATE OR REPLACE FUNCTION ledger_purchase_answer(purchase_key text, fp text, p_listener integer,
                                                  p_track integer, p_artist integer)
RETURNS TABLE({PURCHASE_OUTCOME_COLUMNS}) LANGUAGE sql STABLE AS $$
  -- The first result of a buy-now key, or a conflict when the content differs.
  SELECT CASE WHEN t.fingerprint = fp THEN 'replayed' ELSE 'conflict' END, o.paid::numeric,
         coalesce((SELECT sum(pg.amount) FROM ledger_postings pg JOIN ledger_accounts a ON a.id = pg.account_id
                   WHERE pg.transfer_id = t.id AND a.kind = 'artist_earnings' AND a.owner_id = p_artist), 0),
         o.paid - coalesce((SELECT sum(pg.amount) FROM ledger_postings pg
                            JOIN ledger_accounts a ON a.id = pg.account_id
                            WHERE pg.transfer_id = t.id AND a.kind = 'artist_earnings'
                              AND a.owner_id = p_artist), 0),
         t.pricing_version_id, t.id, true, NULL::bigint
  FROM ledger_transfers t
  LEFT JOIN ledger_ownerships o ON o.listener_id = p_listener AND o.track_id = p_track
  WHERE t.idempotency_key = purchase_key
$$"""

_BUY_NOW = f"""\
CREATE OR REPLACE FUNCTION ledger_buy_now(p_key text, p_listener integer, p_track integer, p_artist integer,
                                          p_free boolean, p_is_artist boolean, p_at timestamptz DEFAULT NULL,
    p_now timestamptz DEFAULT NULL)
RETURNS TABLE({PURCHASE_OUTCOME_COLUMNS}) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_now timestamptz := coalesce(p_now, clock_timestamp());  -- the caller's clock, when given
  v_fp text := ledger_play_fingerprint('buy_now', p_listener, p_track, p_artist, p_free, p_is_artist);
  v_wallet integer;
  v_balance bigint;
  v ledger_pricing_versions;
  v_counted integer;
  v_needed numeric;
  v_price bigint;
  v_artist_part bigint;
  v_coop_part bigint;
  v_artist_account integer;
  v_coop_account integer;
  v_transfer integer;
BEGIN
  SELECT a.id, a.balance INTO v_wallet, v_balance FROM ledger_accounts a
  WHERE a.kind = 'wallet' AND a.owner_id = p_listener FOR NO KEY UPDATE;
  v_balance := coalesce(v_balance, 0);
  IF EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.idempotency_key = p_key) THEN
    RETURN QUERY SELECT * FROM ledger_purchase_answer(p_key, v_fp, p_listener, p_track, p_artist);
    RETURN;
  END IF;
  IF p_free OR p_is_artist THEN
    RETURN QUERY SELECT 'not_purchasable', NULL::numeric, NULL::numeric, NULL::numeric, NULL::integer,
      NULL::integer, false, v_balance;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM ledger_ownerships o WHERE o.listener_id = p_listener AND o.track_id = p_track) THEN
    RETURN QUERY SELECT 'already_owned', NULL::numeric, NULL::numeric, NULL::numeric, NULL::integer,
      NULL::integer, false, v_balance;
    RETURN;
  END IF;
  SELECT * INTO v FROM ledger_pricing_versions pv WHERE pv.effective_from <= coalesce(p_at, v_now)
  ORDER BY pv.effective_from DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_pricing', NULL::numeric, NULL::numeric, NULL::numeric, NULL::integer,
      NULL::integer, false, v_balance;
    RETURN;
  END IF;
  SELECT coalesce(max(p.play_number), 0) INTO v_counted FROM ledger_plays p
  WHERE p.listener_id = p_listener AND p.track_id = p_track;
  v_needed := ledger_remaining_cost(v.first_play_price, v.growth_permille, v.plays_to_own, v_counted);
  IF v_needed = 0 THEN  -- the schedule is complete under the version in force: owned for free
    INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,
                                   acquired_at)
    VALUES (p_listener, p_track, p_artist, 'plays', NULL, v.id, 0, v_now);
    RETURN QUERY SELECT 'ok', 0::numeric, 0::numeric, 0::numeric, v.id, NULL::integer, false, v_balance;
    RETURN;
  END IF;
  IF v_wallet IS NULL OR v_balance < v_needed THEN
    RETURN QUERY SELECT 'insufficient', v_needed, NULL::numeric, NULL::numeric, v.id, NULL::integer, false,
      v_balance;
    RETURN;
  END IF;
  v_price := v_needed;
  SELECT s.artist_part, s.coop_part INTO v_artist_part, v_coop_part FROM ledger_split(v_price, v.artist_share_bp) s;
  v_artist_account := ledger_account('artist_earnings', p_artist);
  v_coop_account := ledger_account('coop_revenue', 0);
  INSERT INTO ledger_transfers (idempotency_key, fingerprint, kind, listener_id, track_id, pricing_version_id,
                                corrects_transfer_id, memo, created_at, effective_at)
  VALUES (p_key, v_fp, 'buy_now', p_listener, p_track, v.id, NULL, '', v_now, v_now)
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_transfer;
  IF v_transfer IS NULL THEN  -- another session used this key meanwhile
    RETURN QUERY SELECT * FROM ledger_purchase_answer(p_key, v_fp, p_listener, p_track, p_artist);
    RETURN;
  END IF;
  INSERT INTO ledger_postings (transfer_id, account_id, amount)
  SELECT v_transfer, legs.account, legs.amount
  FROM (VALUES (v_wallet, -v_price), (v_artist_account, v_artist_part), (v_coop_account, v_coop_part))
       AS legs (account, amount)
  WHERE legs.amount <> 0 ORDER BY legs.account;
  UPDATE ledger_accounts a SET balance = a.balance - v_price WHERE a.id = v_wallet;
  INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,
                                 acquired_at)
  VALUES (p_listener, p_track, p_artist, 'buy_now', v_transfer, v.id, v_price, v_now);
  RETURN QUERY SELECT 'ok', v_price::numeric, v_artist_part::numeric, v_coop_part::numeric, v.id, v_transfer,
    false, v_balance - v_price;
END $$"""

_PLAY_QUOTE = """\
CREATE OR REPLACE FUNCTION ledger_play_quote(p_listener integer, p_track integer, p_at timestamptz)
RETURNS TABLE(pricing_version_id integer, count_after_seconds integer, plays_to_own integer, plays_counted integer,
              owned boolean, balance bigint, next_price numeric, credits_to_own numeric)
LANGUAGE sql STABLE AS $$
  -- What the listener's next counted play of the track costs now, and the balance to pay it
  -- with (no lock: the charge checks again under the wallet's lock).
  SELECT q.id, q.count_after_seconds, q.plays_to_own, q.counted, q.owned, q.balance,
         CASE WHEN q.owned THEN NULL ELSE ledger_play_price(q.first_play_price, q.growth_permille, q.counted + 1) END,
         CASE WHEN q.owned THEN 0
              ELSE ledger_remaining_cost(q.first_play_price, q.growth_permille, q.plays_to_own, q.counted) END
  FROM (
    SELECT pv.*, c.counted,
           c.counted >= pv.plays_to_own OR EXISTS (
             SELECT 1 FROM ledger_ownerships o WHERE o.listener_id = p_listener AND o.track_id = p_track) AS owned,
           coalesce((SELECT a.balance FROM ledger_accounts a WHERE a.kind = 'wallet' AND a.owner_id = p_listener),
                    0) AS balance
    FROM (SELECT coalesce(max(p.play_number), 0) AS counted FROM ledger_plays p
          WHERE p.listener_id = p_listener AND p.track_id = p_track) c,
         LATERAL (SELECT * FROM ledger_pricing_versions v WHERE v.effective_from <= p_at
                  ORDER BY v.effective_from DESC LIMIT 1) pv
  ) q
$$"""

# In dependency order (PL/pgSQL resolves names when called, SQL functions when created).
FUNCTION_NAMES = (
    "ledger_play_price(bigint, integer, integer)",
    "ledger_remaining_cost(bigint, integer, integer, integer)",
    "ledger_split(numeric, integer)",
    "ledger_play_fingerprint(text, integer, integer, integer, boolean, boolean)",
    "ledger_account(text, integer)",
    "ledger_play_answer(text, text)",
    "ledger_charge_play(text, integer, integer, integer, boolean, boolean, timestamptz, timestamptz)",
    "ledger_purchase_answer(text, text, integer, integer, integer)",
    "ledger_buy_now(text, integer, integer, integer, boolean, boolean, timestamptz, timestamptz)",
    "ledger_play_quote(integer, integer, timestamptz)",
)


def function_statements() -> list[str]:
    """DDL creating the money functions (PostgreSQL), in dependency order."""
    return [
        _PLAY_PRICE,
        _REMAINING_COST,
        _SPLIT,
        _FINGERPRINT,
        _ACCOUNT,
        _PLAY_ANSWER,
        _CHARGE_PLAY,
        _PURCHASE_ANSWER,
        _BUY_NOW,
        _PLAY_QUOTE,
    ]


def drop_statements() -> list[str]:
    """DDL dropping them, dependents first."""
    return [f"DROP FUNCTION IF EXISTS {name}" for name in reversed(FUNCTION_NAMES)]
