"""Secret Santa: exchanges, who drew whom, couples kept apart, anonymous questions

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-07 09:21:40

The pairs live on the participants' rows (one recipient per Santa, each recipient drawn once);
last exchange's pairs are simply the group's previous drawn exchange, so no table of their own.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('avoid_previous', sa.Boolean(), nullable=False),
    sa.Column('budget', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('reveal_date', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'drawn')", name=op.f('ck_exchanges_status')),
    sa.CheckConstraint('budget >= 0', name=op.f('ck_exchanges_budget_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchanges_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_exchanges_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchanges'))
    )
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchanges_group_id'), ['group_id'], unique=False)

    op.create_table('exchange_exclusions',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('first_id < second_id', name=op.f('ck_exchange_exclusions_ordered')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_exclusions_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_id'], ['users.id'], name=op.f('fk_exchange_exclusions_first_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['users.id'], name=op.f('fk_exchange_exclusions_second_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'first_id', 'second_id', name=op.f('pk_exchange_exclusions'))
    )
    op.create_table('exchange_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('santa_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('from_santa', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_messages_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_exchange_messages_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['santa_id'], ['users.id'], name=op.f('fk_exchange_messages_santa_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_messages'))
    )
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_messages_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_messages_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_messages_santa_id'), ['santa_id'], unique=False)

    op.create_table('exchange_participants',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_participants_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_exchange_participants_recipient_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exchange_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'user_id', name=op.f('pk_exchange_participants')),
    sa.UniqueConstraint('exchange_id', 'recipient_id', name=op.f('uq_exchange_participants_exchange_id_recipient_id'))
    )
    with op.batch_alter_table('exchange_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_participants_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('exchange_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_participants_user_id'))

    op.drop_table('exchange_participants')
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_messages_santa_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_messages_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_messages_exchange_id'))

    op.drop_table('exchange_messages')
    op.drop_table('exchange_exclusions')
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchanges_group_id'))

    op.drop_table('exchanges')
