"""Quantity, priority, a row per purchase, and pictures Piglist serves itself

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00

Existing gifts become quantity 1, priority normal. Each bought gift's purchase becomes its
first row in `purchases` (quantity 1, by the same person at the same time). A gift's external
`image_url` moves to `image_source`, so no page links to a shop's picture any more; the
companion command `flask piglist rescrape --images` queues the job that fetches them into
the picture store. Downgrading moves the links back and keeps only the first purchase.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_source', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('quantity', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('priority', sa.String(length=6), server_default='normal', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_gifts_quantity'), 'quantity BETWEEN 1 AND 99')
        batch_op.create_check_constraint(
            batch_op.f('ck_gifts_priority'), "priority IN ('high', 'normal', 'low')"
        )

    op.create_table('purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gift_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('purchased_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99', name=op.f('ck_purchases_quantity')),
    sa.ForeignKeyConstraint(['gift_id'], ['gifts.id'], name=op.f('fk_purchases_gift_id_gifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_purchases_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases')),
    sa.UniqueConstraint('gift_id', 'user_id', name=op.f('uq_purchases_gift_id_user_id'))
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchases_gift_id'), ['gift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchases_user_id'), ['user_id'], unique=False)

    op.create_table('pictures',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_pictures'))
    )

    op.execute(
        "INSERT INTO purchases (gift_id, user_id, quantity, purchased_at) "
        "SELECT id, purchased_by_id, 1, COALESCE(purchased_at, updated_at) FROM gifts "
        "WHERE status = 'purchased'"
    )
    op.execute(
        "UPDATE gifts SET image_source = image_url, image_url = NULL "
        "WHERE image_url IS NOT NULL AND image_url NOT LIKE '/images/%'"
    )


def downgrade():
    op.execute("UPDATE gifts SET image_url = image_source WHERE image_source IS NOT NULL")
    op.execute("UPDATE gifts SET image_url = NULL WHERE image_url LIKE '/images/%'")
    # One buyer per gift again: a gift partly bought is available, as it was before this release.
    op.execute("UPDATE gifts SET status = 'available', purchased_by_id = NULL, purchased_at = NULL "
               "WHERE status = 'available'")
    op.drop_table('pictures')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchases_user_id'))
        batch_op.drop_index(batch_op.f('ix_purchases_gift_id'))
    op.drop_table('purchases')
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_gifts_priority'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_gifts_quantity'), type_='check')
        batch_op.drop_column('priority')
        batch_op.drop_column('quantity')
        batch_op.drop_column('image_source')
