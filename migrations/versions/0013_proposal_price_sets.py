"""proposals record the complete price sets voters are shown; a passed proposal can be superseded

Adds proposals.opened_against and proposals.enacts (JSONB: every pricing parameter of the
latest decided version at the open, and the set the proposal enacts), the 'superseded'
proposal status, and re-creates the governance guard function so both sets are frozen once
a proposal opens and a superseded proposal is final like a passed or rejected one.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# A frozen copy of app.governance.models.guard_statements() at this revision (the models
# may move on; this migration must not). tests/governance/test_governance_guards.py checks they agree.
GUARDS = ['CREATE OR REPLACE FUNCTION governance_refuse_ballot_change() RETURNS trigger LANGUAGE plpgsql AS '
 '$$\n'
 'BEGIN\n'
 "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
 "    MESSAGE = 'ballots are append-only: a changed vote is a new ballot';\n"
 'END $$',
 'CREATE TRIGGER ballots_append_only BEFORE UPDATE OR DELETE ON ballots FOR EACH ROW EXECUTE '
 'FUNCTION governance_refuse_ballot_change()',
 'CREATE OR REPLACE FUNCTION governance_guard_proposal() RETURNS trigger LANGUAGE plpgsql AS $$\n'
 'BEGIN\n'
 "  IF TG_OP = 'DELETE' THEN\n"
 "    IF OLD.status <> 'draft' THEN\n"
 "      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
 "        MESSAGE = 'only a draft proposal can be deleted';\n"
 '    END IF;\n'
 '    RETURN OLD;\n'
 '  END IF;\n'
 "  IF OLD.status IN ('passed', 'rejected', 'superseded') THEN\n"
 "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
 "      MESSAGE = 'a closed proposal is final';\n"
 '  END IF;\n'
 "  IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR NEW.author_id IS DISTINCT FROM "
 'OLD.author_id OR NEW.title IS DISTINCT FROM OLD.title OR NEW.rationale IS DISTINCT FROM '
 'OLD.rationale OR NEW.voting_days IS DISTINCT FROM OLD.voting_days OR NEW.hide_results IS '
 'DISTINCT FROM OLD.hide_results OR NEW.new_first_play_price IS DISTINCT FROM '
 'OLD.new_first_play_price OR NEW.new_growth_permille IS DISTINCT FROM OLD.new_growth_permille OR '
 'NEW.new_plays_to_own IS DISTINCT FROM OLD.new_plays_to_own OR NEW.new_count_after_seconds IS '
 'DISTINCT FROM OLD.new_count_after_seconds OR NEW.new_artist_share_bp IS DISTINCT FROM '
 'OLD.new_artist_share_bp OR NEW.new_credit_price_cents IS DISTINCT FROM '
 'OLD.new_credit_price_cents OR NEW.new_starter_grant IS DISTINCT FROM OLD.new_starter_grant OR '
 'NEW.new_payout_minimum_cents IS DISTINCT FROM OLD.new_payout_minimum_cents OR NEW.quorum_percent '
 'IS DISTINCT FROM OLD.quorum_percent OR NEW.threshold_num IS DISTINCT FROM OLD.threshold_num OR '
 'NEW.threshold_den IS DISTINCT FROM OLD.threshold_den OR NEW.opened_at IS DISTINCT FROM '
 'OLD.opened_at OR NEW.closes_at IS DISTINCT FROM OLD.closes_at OR NEW.created_at IS DISTINCT FROM '
 'OLD.created_at OR NEW.opened_against IS DISTINCT FROM OLD.opened_against OR NEW.enacts IS '
 'DISTINCT FROM OLD.enacts) THEN\n'
 "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
 "      MESSAGE = 'an opened proposal is frozen';\n"
 '  END IF;\n'
 '  RETURN NEW;\n'
 'END $$',
 'CREATE TRIGGER proposals_guard BEFORE UPDATE OR DELETE ON proposals FOR EACH ROW EXECUTE '
 'FUNCTION governance_guard_proposal()']

DROP_TRIGGERS = [
    'DROP TRIGGER IF EXISTS proposals_guard ON proposals',
    'DROP TRIGGER IF EXISTS ballots_append_only ON ballots',
]

# Named after the enum by 0005 (no convention applied to an Enum's own CHECK).
STATUS_CHECK = 'proposal_status'


def _guards_of(revision_file):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent / revision_file
    spec = importlib.util.spec_from_file_location("governance_guards", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GUARDS


def _status_check(values: str) -> None:
    op.execute(f'ALTER TABLE proposals DROP CONSTRAINT {STATUS_CHECK}')
    op.execute(f'ALTER TABLE proposals ADD CONSTRAINT {STATUS_CHECK} CHECK (status IN ({values}))')


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_against', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
        batch_op.add_column(sa.Column('enacts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
        batch_op.alter_column('status', existing_type=sa.String(length=8), type_=sa.String(length=10),
                              existing_nullable=False)
    _status_check("'draft', 'open', 'passed', 'rejected', 'superseded'")
    for statement in DROP_TRIGGERS + GUARDS:
        op.execute(statement)


def downgrade():
    # A superseded proposal did not change any price: it reads as rejected before this revision.
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.execute("UPDATE proposals SET status = 'rejected' WHERE status = 'superseded'")
    _status_check("'draft', 'open', 'passed', 'rejected'")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=8),
                              existing_nullable=False)
        batch_op.drop_column('enacts')
        batch_op.drop_column('opened_against')
    for statement in _guards_of('0005_governance.py'):
        op.execute(statement)
