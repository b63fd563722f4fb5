"""Lists for everyone: kinds, recipients and managers; ideas

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:40:00

The list, not the member, becomes the unit (SPEC 10.1): a piglist gains a `kind` (`member`,
`shared`, `dependant`), a `status` (a shared list is `pending` until its partner accepts) and a
dependant's `name`; `user_id` stays the member of a member list and is empty for the others.
`list_recipients` and `list_managers` say who a list is for and who keeps it: every existing
piglist becomes a member list with its owner as recipient and manager. A gift gains who added
it and whether it is an idea (SPEC 10.2); ideas stay out of the duplicate-link index, so a wish
never clashes with an idea its recipient can't see.

Downgrading can keep only member lists and wishes: the shared and dependant lists go with their
gifts, and so do ideas (the old schema would show them to the very people they are hidden from).
"""
from alembic import op
import sqlalchemy as sa

from piglist.stores import sqlite_tables

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LIVE_WISH = 'deleted_at IS NULL AND url IS NOT NULL AND NOT is_idea'
LIVE = 'deleted_at IS NULL AND url IS NOT NULL'


def _link_table(name):
    op.create_table(
        name,
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['list_id'], ['piglists.id'], name=op.f(f'fk_{name}_list_id_piglists'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f(f'fk_{name}_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('list_id', 'user_id', name=op.f(f'pk_{name}')),
    )
    op.create_index(op.f(f'ix_{name}_user_id'), name, ['user_id'], unique=False)
    op.execute(f'INSERT INTO {name} (list_id, user_id) SELECT id, user_id FROM piglists')


def _unique_url_index(where):
    op.create_index(
        'uq_gifts_piglist_id_url_live', 'gifts', ['piglist_id', 'url'], unique=True,
        postgresql_where=sa.text(where), sqlite_where=sa.text(where),
    )


# 0007's SQLite trigger names the columns a list's version follows; PostgreSQL's compares whole rows.
CONTENT_COLUMNS = (
    'piglist_id', 'category_id', 'url', 'title', 'description', 'price', 'regular_price',
    'currency', 'image_url', 'image_source', 'quantity', 'priority', 'options', 'scrape_status',
    'scrape_error', 'deleted_at', 'created_at', 'updated_at',
)


def _sqlite_content_trigger(columns):
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in columns)
    op.execute('DROP TRIGGER gifts_versions_content')
    op.execute(
        f"""CREATE TRIGGER gifts_versions_content AFTER UPDATE ON gifts WHEN {changed} BEGIN
        UPDATE piglists SET version = version + 1 WHERE id IN (OLD.piglist_id, NEW.piglist_id); END"""
    )


def _lists_of_every_kind(alter):
    """A shared or a dependant's list has no user_id; the checks keep a member list's."""
    alter.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
    alter.create_check_constraint(op.f('ck_piglists_kind'), "kind IN ('member', 'shared', 'dependant')")
    alter.create_check_constraint(op.f('ck_piglists_status'), "status IN ('active', 'pending', 'deleted')")
    alter.create_check_constraint(op.f('ck_piglists_member_has_user'), "(kind = 'member') = (user_id IS NOT NULL)")


def _member_lists_only(alter):
    alter.drop_constraint(op.f('ck_piglists_member_has_user'), type_='check')
    alter.drop_constraint(op.f('ck_piglists_status'), type_='check')
    alter.drop_constraint(op.f('ck_piglists_kind'), type_='check')
    alter.alter_column('user_id', existing_type=sa.Integer(), nullable=False)


def _triggers_now():
    """0007's version triggers are deferred to the commit; PostgreSQL won't change an index of a
    table with trigger events pending, so this migration's row changes fire them at once."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('SET CONSTRAINTS ALL IMMEDIATE')


def upgrade():
    _triggers_now()
    # Plain ALTER TABLE where SQLite allows it: a batch rebuilds the table, and rebuilding piglists
    # on SQLite would cascade to every gift.
    op.add_column('piglists', sa.Column('kind', sa.String(length=10), server_default='member', nullable=False))
    op.add_column('piglists', sa.Column('status', sa.String(length=10), server_default='active', nullable=False))
    op.add_column('piglists', sa.Column('name', sa.String(length=100), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        with op.batch_alter_table('piglists') as alter:  # on PostgreSQL, plain ALTER TABLEs
            _lists_of_every_kind(alter)
    else:
        # SQLite alters a column only by rebuilding the table (see sqlite_tables for the care it takes).
        sqlite_tables.rebuild(op, 'piglists', _lists_of_every_kind)
    _link_table('list_recipients')
    _link_table('list_managers')

    op.add_column('gifts', sa.Column('added_by_id', sa.Integer(), nullable=True))
    op.add_column('gifts', sa.Column('is_idea', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_index(op.f('ix_gifts_added_by_id'), 'gifts', ['added_by_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.create_foreign_key(
            op.f('fk_gifts_added_by_id_users'), 'gifts', 'users', ['added_by_id'], ['id'], ondelete='SET NULL'
        )
    # Every gift so far was added by its list's owner.
    op.execute('UPDATE gifts SET added_by_id = (SELECT user_id FROM piglists WHERE piglists.id = gifts.piglist_id)')
    op.drop_index('uq_gifts_piglist_id_url_live', table_name='gifts')
    _unique_url_index(LIVE_WISH)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_content_trigger((*CONTENT_COLUMNS, 'added_by_id', 'is_idea'))


def downgrade():
    _triggers_now()
    op.execute('DELETE FROM gifts WHERE is_idea')
    op.execute("DELETE FROM gifts WHERE piglist_id IN (SELECT id FROM piglists WHERE kind <> 'member')")
    op.execute("DELETE FROM piglists WHERE kind <> 'member'")
    op.drop_index('uq_gifts_piglist_id_url_live', table_name='gifts')
    _unique_url_index(LIVE)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_content_trigger(CONTENT_COLUMNS)
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_gifts_added_by_id_users'), 'gifts', type_='foreignkey')
    op.drop_index(op.f('ix_gifts_added_by_id'), table_name='gifts')
    op.execute('ALTER TABLE gifts DROP COLUMN is_idea')
    op.execute('ALTER TABLE gifts DROP COLUMN added_by_id')
    op.drop_table('list_managers')
    op.drop_table('list_recipients')
    if op.get_bind().dialect.name == 'postgresql':
        with op.batch_alter_table('piglists') as alter:  # on PostgreSQL, plain ALTER TABLEs
            _member_lists_only(alter)
    else:
        sqlite_tables.rebuild(op, 'piglists', _member_lists_only)
    op.execute('ALTER TABLE piglists DROP COLUMN name')
    op.execute('ALTER TABLE piglists DROP COLUMN status')
    op.execute('ALTER TABLE piglists DROP COLUMN kind')
