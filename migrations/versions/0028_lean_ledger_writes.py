"""lean ledger writes: a charge writes fewer index entries and takes no lock on shared rows

* ``ledger_transfers``: the index on ``listener_id`` goes (no read filters transfers by
  listener alone: they go through an account's postings); the unique constraint on
  ``reverses_transfer_id`` becomes a unique index on the rows that reverse something (the
  same rule, without an entry for every other transfer).
* ``ledger_postings``: the primary key becomes (transfer_id, id), which also serves every
  read by transfer, so the separate index on ``transfer_id`` goes.
* The foreign keys from history to the shared rows (a posting's account; a transfer's, a
  play's and an ownership's pricing version) become the reference guards of
  ``ledger.schema.reference_guard_statements`` (``REFERENCE_GUARDS`` is a frozen copy):
  the same guarantee without a row lock that every concurrent charge took on the co-op's
  revenue account and the pricing version in force.
* ``ledger_charge_play`` reads what the wallet's lock makes stable (the key, ownership, the
  plays counted) in one statement, and ``ledger_play_fingerprint`` is declared STABLE, not
  IMMUTABLE STRICT, so it is inlined instead of running as a function call of its own: fewer
  statements per charge.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 15:10:00

"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# The foreign keys replaced by the reference guards: (table, column, referenced table).
_SHARED_REFERENCES = (
    ("ledger_postings", "account_id", "ledger_accounts"),
    ("ledger_transfers", "pricing_version_id", "ledger_pricing_versions"),
    ("ledger_plays", "pricing_version_id", "ledger_pricing_versions"),
    ("ledger_ownerships", "pricing_version_id", "ledger_pricing_versions"),
)

# A frozen copy of ledger.schema.reference_guard_statements() at this revision.
_PRICED = ("ledger_transfers", "ledger_plays", "ledger_ownerships")
_REFERENCED = ("ledger_accounts", "ledger_pricing_versions")
REFERENCE_GUARDS = [
    "CREATE OR REPLACE FUNCTION ledger_check_account_exists() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = NEW.account_id) THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
    "      MESSAGE = TG_TABLE_NAME || ' row refers to ledger account ' || NEW.account_id || ', which does not exist';\n"
    "  END IF;\n"
    "  RETURN NEW;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION ledger_check_pricing_version_exists() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM ledger_pricing_versions v WHERE v.id = NEW.pricing_version_id) THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',\n"
    "      MESSAGE = TG_TABLE_NAME || ' row refers to pricing version ' || NEW.pricing_version_id\n"
    "        || ', which does not exist';\n"
    "  END IF;\n"
    "  RETURN NEW;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION ledger_refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
    "    MESSAGE = TG_TABLE_NAME || ' rows are referenced by the ledger''s history and are never removed';\n"
    "END $$",
    "CREATE TRIGGER ledger_postings_account_exists BEFORE INSERT ON ledger_postings"
    " FOR EACH ROW EXECUTE FUNCTION ledger_check_account_exists()",
    "CREATE TRIGGER ledger_accounts_kept BEFORE DELETE OR UPDATE OF id ON ledger_accounts"
    " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_removal()",
] + [
    f"CREATE TRIGGER {table}_pricing_version_exists BEFORE INSERT ON {table}"
    " FOR EACH ROW WHEN (NEW.pricing_version_id IS NOT NULL) EXECUTE FUNCTION ledger_check_pricing_version_exists()"
    for table in _PRICED
] + [
    f"CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_removal()"
    for table in _REFERENCED
]


# A frozen copy of the functions of ledger.functions.function_statements() changed here.
FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION ledger_play_fingerprint(operation text, listener_id integer, track_id integer,\n                                                   artist_id integer, track_is_free boolean,\n                                                   listener_is_artist boolean)\nRETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$\n  -- The same digest as ledger.transfers.fingerprint(operation, listener, track, artist, free, own).\n  -- STABLE, not STRICT: as to_json() and format() are. PostgreSQL inlines a SQL function only\n  -- when its declaration promises no more than its body keeps; otherwise each call runs an\n  -- executor of its own inside the charge.\n  SELECT encode(sha256(convert_to(format('[%s,%s,%s,%s,%s,%s]', to_json(operation), listener_id, track_id,\n                                         artist_id, track_is_free::text, listener_is_artist::text), 'UTF8')), 'hex')\n$$",
    "CREATE OR REPLACE FUNCTION ledger_charge_play(p_key text, p_listener integer, p_track integer, p_artist integer,\n                                              p_free boolean, p_is_artist boolean, p_at timestamptz DEFAULT NULL,\n    p_now timestamptz DEFAULT NULL)\nRETURNS TABLE(outcome text, play_id integer, kind text, play_number integer, price bigint, artist_part bigint, coop_part bigint, pricing_version_id integer, transfer_id integer, owned_after boolean, replayed boolean, balance bigint, plays_to_own integer, credits_to_own numeric, needed numeric) LANGUAGE plpgsql AS $$\n#variable_conflict use_column\nDECLARE\n  v_now timestamptz := coalesce(p_now, clock_timestamp());  -- the caller's clock, when given\n  v_fp text := ledger_play_fingerprint('play', p_listener, p_track, p_artist, p_free, p_is_artist);\n  v_wallet integer;\n  v_balance bigint;\n  v ledger_pricing_versions;\n  v_counted integer;\n  v_owned boolean;\n  v_kind text;\n  v_n integer;\n  v_price bigint;\n  v_needed numeric;\n  v_artist_part bigint;\n  v_coop_part bigint;\n  v_artist_account integer;\n  v_coop_account integer;\n  v_transfer integer;\n  v_play integer;\n  v_replayed boolean;\nBEGIN\n  -- The wallet's lock serialises play numbering and ownership for the listener.\n  SELECT a.id, a.balance INTO v_wallet, v_balance FROM ledger_accounts a\n  WHERE a.kind = 'wallet' AND a.owner_id = p_listener FOR NO KEY UPDATE;\n  v_balance := coalesce(v_balance, 0);\n  SELECT * INTO v FROM ledger_pricing_versions pv WHERE pv.effective_from <= coalesce(p_at, v_now)\n  ORDER BY pv.effective_from DESC LIMIT 1;\n  IF NOT FOUND THEN\n    RETURN QUERY SELECT 'no_pricing', NULL::integer, NULL::text, NULL::integer, NULL::bigint, NULL::bigint,\n      NULL::bigint, NULL::integer, NULL::integer, false, false, NULL::bigint, NULL::integer, NULL::numeric,\n      NULL::numeric;\n    RETURN;\n  END IF;\n  -- What the wallet's lock now makes stable, read in one statement: the key, ownership, plays.\n  SELECT EXISTS (SELECT 1 FROM ledger_plays p WHERE p.idempotency_key = p_key),\n         EXISTS (SELECT 1 FROM ledger_ownerships o WHERE o.listener_id = p_listener AND o.track_id = p_track),\n         (SELECT coalesce(max(p.play_number), 0) FROM ledger_plays p\n          WHERE p.listener_id = p_listener AND p.track_id = p_track)\n  INTO v_replayed, v_owned, v_counted;\n  IF v_replayed THEN\n    RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);\n    RETURN;\n  END IF;\n\n  v_kind := CASE WHEN v_owned THEN 'owned' WHEN p_is_artist THEN 'own_artist' WHEN p_free THEN 'free_track'\n                 WHEN v_counted >= v.plays_to_own THEN 'owned' END;\n  IF v_kind IS NOT NULL THEN\n    IF v_wallet IS NULL THEN  -- a new listener: the wallet's lock still serialises their plays\n      PERFORM ledger_account('wallet', p_listener);\n      SELECT a.id INTO v_wallet FROM ledger_accounts a\n      WHERE a.kind = 'wallet' AND a.owner_id = p_listener FOR NO KEY UPDATE;\n    END IF;\n    INSERT INTO ledger_plays (idempotency_key, fingerprint, listener_id, track_id, artist_id, kind, play_number,\n                              price, artist_part, coop_part, transfer_id, pricing_version_id, created_at)\n    VALUES (p_key, v_fp, p_listener, p_track, p_artist, v_kind, NULL, 0, 0, 0, NULL, NULL, v_now)\n    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_play;\n    IF v_play IS NULL THEN  -- another session recorded this key meanwhile\n      RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);\n      RETURN;\n    END IF;\n    IF NOT v_owned AND v_kind = 'owned' THEN\n      -- A newer version lowered plays-to-own below what was played: the schedule is complete.\n      INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,\n                                     acquired_at)\n      VALUES (p_listener, p_track, p_artist, 'plays', NULL, v.id, 0, v_now);\n    END IF;\n    RETURN QUERY SELECT 'ok', v_play, v_kind, NULL::integer, 0::bigint, 0::bigint, 0::bigint, NULL::integer,\n      NULL::integer, v_kind = 'owned', false, v_balance, v.plays_to_own, 0::numeric, NULL::numeric;\n    RETURN;\n  END IF;\n\n  v_n := v_counted + 1;\n  v_needed := ledger_play_price(v.first_play_price, v.growth_permille, v_n);\n  IF v_wallet IS NULL OR v_balance < v_needed THEN\n    RETURN QUERY SELECT 'insufficient', NULL::integer, NULL::text, NULL::integer, NULL::bigint, NULL::bigint,\n      NULL::bigint, NULL::integer, NULL::integer, false, false, v_balance, NULL::integer, NULL::numeric, v_needed;\n    RETURN;\n  END IF;\n  v_price := v_needed;\n  SELECT s.artist_part, s.coop_part INTO v_artist_part, v_coop_part FROM ledger_split(v_price, v.artist_share_bp) s;\n  v_artist_account := ledger_account('artist_earnings', p_artist);\n  v_coop_account := ledger_account('coop_revenue', 0);\n  INSERT INTO ledger_transfers (idempotency_key, fingerprint, kind, listener_id, track_id, pricing_version_id,\n                                corrects_transfer_id, memo, created_at, effective_at)\n  VALUES ('play:' || p_key, v_fp, 'play_charge', p_listener, p_track, v.id, NULL, '', v_now,\n          coalesce(p_at, v_now))  -- effective at the play's start\n  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_transfer;\n  IF v_transfer IS NULL THEN  -- another session charged this key meanwhile\n    RETURN QUERY SELECT * FROM ledger_play_answer(p_key, v_fp);\n    RETURN;\n  END IF;\n  INSERT INTO ledger_postings (transfer_id, account_id, amount)\n  SELECT v_transfer, legs.account, legs.amount\n  FROM (VALUES (v_wallet, -v_price), (v_artist_account, v_artist_part), (v_coop_account, v_coop_part))\n       AS legs (account, amount)\n  WHERE legs.amount <> 0 ORDER BY legs.account;\n  UPDATE ledger_accounts a SET balance = a.balance - v_price WHERE a.id = v_wallet;\n  INSERT INTO ledger_plays (idempotency_key, fingerprint, listener_id, track_id, artist_id, kind, play_number,\n                            price, artist_part, coop_part, transfer_id, pricing_version_id, created_at)\n  VALUES (p_key, v_fp, p_listener, p_track, p_artist, 'charged', v_n, v_price, v_artist_part, v_coop_part,\n          v_transfer, v.id, v_now)\n  RETURNING id INTO v_play;\n  IF v_n = v.plays_to_own THEN\n    INSERT INTO ledger_ownerships (listener_id, track_id, artist_id, via, transfer_id, pricing_version_id, paid,\n                                   acquired_at)\n    VALUES (p_listener, p_track, p_artist, 'plays', v_transfer, v.id, 0, v_now);\n  END IF;\n  RETURN QUERY SELECT 'ok', v_play, 'charged', v_n, v_price, v_artist_part, v_coop_part, v.id, v_transfer,\n    v_n = v.plays_to_own, false, v_balance - v_price, v.plays_to_own,\n    ledger_remaining_cost(v.first_play_price, v.growth_permille, v.plays_to_own, v_n), NULL::numeric;\nEND $$",
]


def _foreign_key_name(table, column, referenced):
    return f"fk_{table}_{column}_{referenced}"


def upgrade():
    op.drop_index("ix_ledger_transfers_listener_id", table_name="ledger_transfers")
    op.drop_constraint("uq_ledger_transfers_reverses_transfer_id", "ledger_transfers", type_="unique")
    op.create_index(
        "uq_ledger_transfers_reverses_transfer_id",
        "ledger_transfers",
        ["reverses_transfer_id"],
        unique=True,
        postgresql_where=sa.text("reverses_transfer_id IS NOT NULL"),
    )
    op.drop_constraint("pk_ledger_postings", "ledger_postings", type_="primary")
    op.create_primary_key("pk_ledger_postings", "ledger_postings", ["transfer_id", "id"])
    op.drop_index("ix_ledger_postings_transfer_id", table_name="ledger_postings")
    for table, column, referenced in _SHARED_REFERENCES:
        op.drop_constraint(_foreign_key_name(table, column, referenced), table, type_="foreignkey")
    for statement in REFERENCE_GUARDS:
        op.execute(statement)
    for statement in FUNCTIONS:
        op.execute(statement)


def _previous_functions():
    """The latest earlier frozen copies (0009, then 0012) of the functions this revision replaces."""
    names = [statement.split("(", 1)[0] for statement in FUNCTIONS]
    previous = {}
    for revision in ("0009_money_functions", "0012_transfer_effective_time"):
        spec = importlib.util.spec_from_file_location(f"money_functions_{revision}", Path(__file__).with_name(f"{revision}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        previous.update((s.split("(", 1)[0], s) for s in module.FUNCTIONS if s.split("(", 1)[0] in names)
    return [previous[name] for name in names]


def downgrade():
    for statement in _previous_functions():
        op.execute(statement)
    for table in _REFERENCED:
        op.execute(f"DROP TRIGGER {table}_not_truncated ON {table}")
    for table in _PRICED:
        op.execute(f"DROP TRIGGER {table}_pricing_version_exists ON {table}")
    op.execute("DROP TRIGGER ledger_accounts_kept ON ledger_accounts")
    op.execute("DROP TRIGGER ledger_postings_account_exists ON ledger_postings")
    for function in ("ledger_refuse_removal", "ledger_check_pricing_version_exists", "ledger_check_account_exists"):
        op.execute(f"DROP FUNCTION {function}()")
    for table, column, referenced in _SHARED_REFERENCES:
        op.create_foreign_key(_foreign_key_name(table, column, referenced), table, referenced, [column], ["id"])
    op.create_index("ix_ledger_postings_transfer_id", "ledger_postings", ["transfer_id"], unique=False)
    op.drop_constraint("pk_ledger_postings", "ledger_postings", type_="primary")
    op.create_primary_key("pk_ledger_postings", "ledger_postings", ["id"])
    op.drop_index("uq_ledger_transfers_reverses_transfer_id", table_name="ledger_transfers")
    op.create_unique_constraint("uq_ledger_transfers_reverses_transfer_id", "ledger_transfers", ["reverses_transfer_id"])
    op.create_index("ix_ledger_transfers_listener_id", "ledger_transfers", ["listener_id"], unique=False)
