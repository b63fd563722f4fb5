"""Gifts keep the shop's regular price (before a discount) beside the price

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:45:00

Issue 16: the scraper records the price before a discount when a page shows one; the tile
shows it struck through. Nullable: gifts typed by hand, and shops without a discount, have none.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regular_price', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_gifts_regular_price_not_negative'), 'regular_price >= 0')


def downgrade():
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_gifts_regular_price_not_negative'), type_='check')
        batch_op.drop_column('regular_price')
