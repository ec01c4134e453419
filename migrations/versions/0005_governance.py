"""governance: memberships, proposals, append-only ballots (with guard triggers), mail outbox

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 06:50:37.110113

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

# A frozen copy of app.governance.models.guard_statements() at this revision (the models
# may move on; this migration must not). tests/governance/test_governance_guards.py checks they agree.
GUARDS = {'postgresql': ['CREATE OR REPLACE FUNCTION governance_refuse_ballot_change() RETURNS trigger '
                'LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
                "    MESSAGE = 'ballots are append-only: a changed vote is a new ballot';\n"
                'END $$',
                'CREATE TRIGGER ballots_append_only BEFORE UPDATE OR DELETE ON ballots FOR EACH '
                'ROW EXECUTE FUNCTION governance_refuse_ballot_change()',
                'CREATE OR REPLACE FUNCTION governance_guard_proposal() RETURNS trigger LANGUAGE '
                'plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'DELETE' THEN\n"
                "    IF OLD.status <> 'draft' THEN\n"
                "      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
                "        MESSAGE = 'only a draft proposal can be deleted';\n"
                '    END IF;\n'
                '    RETURN OLD;\n'
                '  END IF;\n'
                "  IF OLD.status IN ('passed', 'rejected') THEN\n"
                "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
                "      MESSAGE = 'a closed proposal is final';\n"
                '  END IF;\n'
                "  IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR NEW.author_id IS DISTINCT "
                'FROM OLD.author_id OR NEW.title IS DISTINCT FROM OLD.title OR NEW.rationale IS '
                'DISTINCT FROM OLD.rationale OR NEW.voting_days IS DISTINCT FROM OLD.voting_days '
                'OR NEW.hide_results IS DISTINCT FROM OLD.hide_results OR NEW.new_first_play_price '
                'IS DISTINCT FROM OLD.new_first_play_price OR NEW.new_growth_permille IS DISTINCT '
                'FROM OLD.new_growth_permille OR NEW.new_plays_to_own IS DISTINCT FROM '
                'OLD.new_plays_to_own OR NEW.new_count_after_seconds IS DISTINCT FROM '
                'OLD.new_count_after_seconds OR NEW.new_artist_share_bp IS DISTINCT FROM '
                'OLD.new_artist_share_bp OR NEW.new_credit_price_cents IS DISTINCT FROM '
                'OLD.new_credit_price_cents OR NEW.new_starter_grant IS DISTINCT FROM '
                'OLD.new_starter_grant OR NEW.new_payout_minimum_cents IS DISTINCT FROM '
                'OLD.new_payout_minimum_cents OR NEW.quorum_percent IS DISTINCT FROM '
                'OLD.quorum_percent OR NEW.threshold_num IS DISTINCT FROM OLD.threshold_num OR '
                'NEW.threshold_den IS DISTINCT FROM OLD.threshold_den OR NEW.opened_at IS DISTINCT '
                'FROM OLD.opened_at OR NEW.closes_at IS DISTINCT FROM OLD.closes_at OR '
                'NEW.created_at IS DISTINCT FROM OLD.created_at) THEN\n'
                "    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
                "      MESSAGE = 'an opened proposal is frozen';\n"
                '  END IF;\n'
                '  RETURN NEW;\n'
                'END $$',
                'CREATE TRIGGER proposals_guard BEFORE UPDATE OR DELETE ON proposals FOR EACH ROW '
                'EXECUTE FUNCTION governance_guard_proposal()'],
 'sqlite': ['CREATE TRIGGER ballots_no_update BEFORE UPDATE ON ballots BEGIN SELECT RAISE(ABORT, '
            "'ballots are append-only: a changed vote is a new ballot'); END",
            'CREATE TRIGGER ballots_no_delete BEFORE DELETE ON ballots BEGIN SELECT RAISE(ABORT, '
            "'ballots are append-only: a changed vote is a new ballot'); END",
            'CREATE TRIGGER proposals_no_delete BEFORE DELETE ON proposals WHEN OLD.status <> '
            "'draft' BEGIN SELECT RAISE(ABORT, 'only a draft proposal can be deleted'); END",
            'CREATE TRIGGER proposals_closed_final BEFORE UPDATE ON proposals WHEN OLD.status IN '
            "('passed', 'rejected') BEGIN SELECT RAISE(ABORT, 'a closed proposal is final'); END",
            "CREATE TRIGGER proposals_frozen BEFORE UPDATE ON proposals WHEN OLD.status <> 'draft' "
            "AND (NEW.status = 'draft' OR NEW.author_id IS NOT OLD.author_id OR NEW.title IS NOT "
            'OLD.title OR NEW.rationale IS NOT OLD.rationale OR NEW.voting_days IS NOT '
            'OLD.voting_days OR NEW.hide_results IS NOT OLD.hide_results OR '
            'NEW.new_first_play_price IS NOT OLD.new_first_play_price OR NEW.new_growth_permille '
            'IS NOT OLD.new_growth_permille OR NEW.new_plays_to_own IS NOT OLD.new_plays_to_own OR '
            'NEW.new_count_after_seconds IS NOT OLD.new_count_after_seconds OR '
            'NEW.new_artist_share_bp IS NOT OLD.new_artist_share_bp OR NEW.new_credit_price_cents '
            'IS NOT OLD.new_credit_price_cents OR NEW.new_starter_grant IS NOT '
            'OLD.new_starter_grant OR NEW.new_payout_minimum_cents IS NOT '
            'OLD.new_payout_minimum_cents OR NEW.quorum_percent IS NOT OLD.quorum_percent OR '
            'NEW.threshold_num IS NOT OLD.threshold_num OR NEW.threshold_den IS NOT '
            'OLD.threshold_den OR NEW.opened_at IS NOT OLD.opened_at OR NEW.closes_at IS NOT '
            "OLD.closes_at OR NEW.created_at IS NOT OLD.created_at) BEGIN SELECT RAISE(ABORT, 'an "
            "opened proposal is frozen'); END"]}

DROP_GUARDS = {
    'postgresql': [
        'DROP TRIGGER IF EXISTS proposals_guard ON proposals',
        'DROP TRIGGER IF EXISTS ballots_append_only ON ballots',
        'DROP FUNCTION IF EXISTS governance_guard_proposal()',
        'DROP FUNCTION IF EXISTS governance_refuse_ballot_change()',
    ],
}


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_sent_at'), ['sent_at'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('member_class', sa.Enum('listener', 'artist', 'worker', name='member_class', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.Enum('share_purchase', 'admin_record', name='membership_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_memberships_ends_after_start')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_memberships_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('source', 'reference', name=op.f('uq_memberships_source'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'passed', 'rejected', name='proposal_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('voting_days', sa.Integer(), nullable=False),
    sa.Column('hide_results', sa.Boolean(), nullable=False),
    sa.Column('new_first_play_price', sa.BigInteger(), nullable=True),
    sa.Column('new_growth_permille', sa.Integer(), nullable=True),
    sa.Column('new_plays_to_own', sa.Integer(), nullable=True),
    sa.Column('new_count_after_seconds', sa.Integer(), nullable=True),
    sa.Column('new_artist_share_bp', sa.Integer(), nullable=True),
    sa.Column('new_credit_price_cents', sa.Integer(), nullable=True),
    sa.Column('new_starter_grant', sa.BigInteger(), nullable=True),
    sa.Column('new_payout_minimum_cents', sa.Integer(), nullable=True),
    sa.Column('quorum_percent', sa.Integer(), nullable=False),
    sa.Column('threshold_num', sa.Integer(), nullable=False),
    sa.Column('threshold_den', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('members_at_close', sa.Integer(), nullable=True),
    sa.Column('yes_count', sa.Integer(), nullable=True),
    sa.Column('no_count', sa.Integer(), nullable=True),
    sa.Column('abstain_count', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quorum_percent BETWEEN 0 AND 100', name=op.f('ck_proposals_quorum_percent_range')),
    sa.CheckConstraint('threshold_num >= 1 AND threshold_den >= 1 AND threshold_num < threshold_den', name=op.f('ck_proposals_threshold_fraction')),
    sa.CheckConstraint('voting_days >= 2', name=op.f('ck_proposals_voting_days_min')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposals_author_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_closes_at'), ['closes_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_status'), ['status'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('yes', 'no', 'abstain', name='ballot_choice', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_ballots_sequence_positive')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_ballots_proposal_id_proposals'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_ballots_voter_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('proposal_id', 'voter_id', 'sequence', name=op.f('uq_ballots_proposal_id')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_ballots_receipt_hash'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballots_voter_id'), ['voter_id'], unique=False)

    # ### end Alembic commands ###
    for statement in GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_voter_id'))
        batch_op.drop_index(batch_op.f('ix_ballots_proposal_id'))

    op.drop_table('ballots')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_proposals_closes_at'))
        batch_op.drop_index(batch_op.f('ix_proposals_author_id'))

    op.drop_table('proposals')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_sent_at'))

    op.drop_table('outbox_messages')
    # ### end Alembic commands ###
