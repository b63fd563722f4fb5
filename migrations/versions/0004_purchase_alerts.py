"""Purchaser alerts: the per-user setting and the pending alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: on SQLite that rebuilds the table and loses the lower(email) index.
    op.add_column('users', sa.Column('purchase_alerts', sa.Boolean(), server_default=sa.text('true'), nullable=False))

    op.create_table('purchase_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('gift_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('base_url', sa.String(length=2048), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gift_id'], ['gifts.id'], name=op.f('fk_purchase_alerts_gift_id_gifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_purchase_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_alerts')),
    sa.UniqueConstraint('user_id', 'gift_id', name=op.f('uq_purchase_alerts_user_id_gift_id'))
    )
    with op.batch_alter_table('purchase_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_alerts_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_alerts_gift_id'), ['gift_id'], unique=False)


def downgrade():
    with op.batch_alter_table('purchase_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_alerts_gift_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_alerts_due_at'))

    op.drop_table('purchase_alerts')
    op.drop_column('users', 'purchase_alerts')
