"""the ledger's kinds as domains: the same value lists, checked once per value instead of
re-read by every statement that writes the table

``ledger_accounts.kind``, ``ledger_transfers.kind``, ``ledger_plays.kind`` and
``ledger_ownerships.via`` were VARCHARs with a table CHECK listing their values. PostgreSQL
reads a table's CHECK expressions again for every statement that writes the table (the
wallet's balance ``UPDATE`` of every charge included, which changes no kind); a domain's
check is cached with the type and runs only where a value becomes that type. Each column
becomes a domain over the same VARCHAR with the same list (``ledger.types.DomainEnum``); the
table CHECKs on the kinds go. Rows are unchanged.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 09:20:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# Frozen at this revision: (table, column, domain, its VARCHAR length, the values).
KINDS = (
    (
        "ledger_accounts",
        "kind",
        "ledger_account_kind",
        18,
        (
            "wallet",
            "artist_earnings",
            "coop_revenue",
            "coop_promotions",
            "payments_clearing",
            "payouts_in_transit",
            "paid_out",
        ),
    ),
    (
        "ledger_transfers",
        "kind",
        "ledger_transfer_kind",
        15,
        (
            "top_up",
            "starter_grant",
            "play_charge",
            "buy_now",
            "correction",
            "refund",
            "payout",
            "payout_settled",
            "payout_returned",
        ),
    ),
    ("ledger_plays", "kind", "ledger_play_kind", 10, ("charged", "free_track", "owned", "own_artist")),
    ("ledger_ownerships", "via", "ledger_ownership_via", 7, ("plays", "buy_now")),
)


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade():
    for table, column, domain, length, values in KINDS:
        op.execute(f"CREATE DOMAIN {domain} AS VARCHAR({length}) CHECK (VALUE IN ({_listed(values)}))")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {domain}")  # as migration 0002 named it
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {domain}")


def downgrade():
    for table, column, domain, length, values in KINDS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length})")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {domain} CHECK ({column} IN ({_listed(values)}))")
        op.execute(f"DROP DOMAIN {domain}")
