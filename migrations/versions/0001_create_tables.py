"""Create every table of the SPEC

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 06:18:45.239194

Written by autogenerate, then edited: plain DateTime for the app's UTC type (a
migration must not import the app) and the case-insensitive e-mail index, which
autogenerate cannot see.

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('invite_code', sa.String(length=64), nullable=False),
    sa.Column('lock_date', sa.Date(), nullable=True),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('invite_code', name=op.f('uq_groups_invite_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('spending_limit', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('max_item_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_item_price >= 0', name=op.f('ck_categories_max_item_price_not_negative')),
    sa.CheckConstraint('spending_limit >= 0', name=op.f('ck_categories_spending_limit_not_negative')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_categories_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('group_id', 'name', name=op.f('uq_categories_group_id_name'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_group_id'), ['group_id'], unique=False)

    op.create_table('group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'member')", name=op.f('ck_group_members_role')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('piglists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_piglists_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_piglists_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_piglists')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_piglists_group_id_user_id'))
    )
    with op.batch_alter_table('piglists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_piglists_user_id'), ['user_id'], unique=False)

    op.create_table('gifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('piglist_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('image_url', sa.String(length=2048), nullable=True),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('scrape_status', sa.String(length=10), nullable=False),
    sa.Column('scrape_error', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('purchased_by_id', sa.Integer(), nullable=True),
    sa.Column('purchased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("scrape_status IN ('pending', 'success', 'failed', 'manual')", name=op.f('ck_gifts_scrape_status')),
    sa.CheckConstraint("status IN ('available', 'purchased')", name=op.f('ck_gifts_status')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_gifts_price_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_gifts_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['piglist_id'], ['piglists.id'], name=op.f('fk_gifts_piglist_id_piglists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchased_by_id'], ['users.id'], name=op.f('fk_gifts_purchased_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gifts'))
    )
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gifts_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gifts_piglist_id'), ['piglist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gifts_purchased_by_id'), ['purchased_by_id'], unique=False)
        batch_op.create_index('uq_gifts_piglist_id_url_live', ['piglist_id', 'url'], unique=True, postgresql_where=sa.text('deleted_at IS NULL AND url IS NOT NULL'), sqlite_where=sa.text('deleted_at IS NULL AND url IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('gifts', schema=None) as batch_op:
        batch_op.drop_index('uq_gifts_piglist_id_url_live', postgresql_where=sa.text('deleted_at IS NULL AND url IS NOT NULL'), sqlite_where=sa.text('deleted_at IS NULL AND url IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_gifts_purchased_by_id'))
        batch_op.drop_index(batch_op.f('ix_gifts_piglist_id'))
        batch_op.drop_index(batch_op.f('ix_gifts_category_id'))

    op.drop_table('gifts')
    with op.batch_alter_table('piglists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_piglists_user_id'))

    op.drop_table('piglists')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_user_id'))

    op.drop_table('group_members')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_group_id'))

    op.drop_table('categories')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_table('users')
    op.drop_table('groups')
