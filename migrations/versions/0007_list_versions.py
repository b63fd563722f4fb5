"""Versions the database keeps of each group and list, for the lists' cache

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:00:00

`groups.version` moves whenever anything every list shows changes: the group itself, its
members, its categories, a member's name. `piglists.version` moves when a gift on the list is
added, changed or removed as its owner sees it; `piglists.purchase_version` when the gift's
purchases change (what everyone but the owner sees). Triggers move them, so no write path can
forget to: piglist.gifts.listcache keys each rendered list on them.

On PostgreSQL the triggers are deferred to the commit: a transaction takes the version rows'
locks last, whatever it locked before, so they add no deadlock. SQLite has one writer at a time.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# What a purchase changes on the gift row itself; every other column is what its owner sees.
PURCHASE_COLUMNS = ('status', 'purchased_by_id', 'purchased_at')
CONTENT_COLUMNS = (
    'piglist_id', 'category_id', 'url', 'title', 'description', 'price', 'regular_price',
    'currency', 'image_url', 'image_source', 'quantity', 'priority', 'options', 'scrape_status',
    'scrape_error', 'deleted_at', 'created_at', 'updated_at',
)

# The purchase columns as PostgreSQL's trigger names them: left out of the row the owner sees, and
# compared on their own.
PURCHASE_ARRAY = 'ARRAY[' + ', '.join(f"'{c}'" for c in PURCHASE_COLUMNS) + ']'


def _row(alias):
    return '(' + ', '.join(f'{alias}.{c}' for c in PURCHASE_COLUMNS) + ')'


POSTGRESQL = f"""
CREATE FUNCTION piglist_gift_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (to_jsonb(NEW) - {PURCHASE_ARRAY})
                IS DISTINCT FROM (to_jsonb(OLD) - {PURCHASE_ARRAY}) THEN
            UPDATE piglists SET version = version + 1 WHERE id IN (OLD.piglist_id, NEW.piglist_id);
        END IF;
        IF {_row('NEW')}
                IS DISTINCT FROM {_row('OLD')} THEN
            UPDATE piglists SET purchase_version = purchase_version + 1
            WHERE id IN (OLD.piglist_id, NEW.piglist_id);
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE piglists SET version = version + 1 WHERE id = NEW.piglist_id;
    ELSE
        UPDATE piglists SET version = version + 1 WHERE id = OLD.piglist_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION piglist_purchase_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE piglists SET purchase_version = purchase_version + 1
    WHERE id IN (SELECT piglist_id FROM gifts WHERE id IN (OLD.gift_id, NEW.gift_id));
    RETURN NULL;
END $$;

CREATE FUNCTION piglist_group_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE groups SET version = version + 1 WHERE id IN (OLD.group_id, NEW.group_id);
    RETURN NULL;
END $$;

CREATE FUNCTION piglist_name_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE groups SET version = version + 1
    WHERE id IN (SELECT group_id FROM group_members WHERE user_id = NEW.id);
    RETURN NULL;
END $$;

CREATE FUNCTION piglist_own_group_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER gifts_versions AFTER INSERT OR UPDATE OR DELETE ON gifts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_gift_versions();
CREATE CONSTRAINT TRIGGER purchases_versions AFTER INSERT OR UPDATE OR DELETE ON purchases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_purchase_versions();
CREATE CONSTRAINT TRIGGER group_members_versions AFTER INSERT OR UPDATE OR DELETE ON group_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_group_version();
CREATE CONSTRAINT TRIGGER categories_versions AFTER INSERT OR UPDATE OR DELETE ON categories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_group_version();
CREATE CONSTRAINT TRIGGER users_versions AFTER UPDATE OF display_name ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION piglist_name_versions();
CREATE TRIGGER groups_version BEFORE UPDATE ON groups FOR EACH ROW
    WHEN (OLD.version = NEW.version) EXECUTE FUNCTION piglist_own_group_version();
"""

POSTGRESQL_DOWN = """
DROP TRIGGER gifts_versions ON gifts;
DROP TRIGGER purchases_versions ON purchases;
DROP TRIGGER group_members_versions ON group_members;
DROP TRIGGER categories_versions ON categories;
DROP TRIGGER users_versions ON users;
DROP TRIGGER groups_version ON groups;
DROP FUNCTION piglist_gift_versions();
DROP FUNCTION piglist_purchase_versions();
DROP FUNCTION piglist_group_version();
DROP FUNCTION piglist_name_versions();
DROP FUNCTION piglist_own_group_version();
"""


def _changed(columns):
    return ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in columns)


SQLITE = [
    """CREATE TRIGGER gifts_versions_insert AFTER INSERT ON gifts BEGIN
        UPDATE piglists SET version = version + 1 WHERE id = NEW.piglist_id; END""",
    """CREATE TRIGGER gifts_versions_delete AFTER DELETE ON gifts BEGIN
        UPDATE piglists SET version = version + 1 WHERE id = OLD.piglist_id; END""",
    f"""CREATE TRIGGER gifts_versions_content AFTER UPDATE ON gifts WHEN {_changed(CONTENT_COLUMNS)} BEGIN
        UPDATE piglists SET version = version + 1 WHERE id IN (OLD.piglist_id, NEW.piglist_id); END""",
    f"""CREATE TRIGGER gifts_versions_purchase AFTER UPDATE ON gifts WHEN {_changed(PURCHASE_COLUMNS)} BEGIN
        UPDATE piglists SET purchase_version = purchase_version + 1
        WHERE id IN (OLD.piglist_id, NEW.piglist_id); END""",
    *(
        f"""CREATE TRIGGER purchases_versions_{event.lower()} AFTER {event} ON purchases BEGIN
        UPDATE piglists SET purchase_version = purchase_version + 1
        WHERE id IN (SELECT piglist_id FROM gifts WHERE id IN ({rows})); END"""
        for event, rows in (
            ('INSERT', 'NEW.gift_id'),
            ('UPDATE', 'OLD.gift_id, NEW.gift_id'),
            ('DELETE', 'OLD.gift_id'),
        )
    ),
    *(
        f"""CREATE TRIGGER {table}_versions_{event.lower()} AFTER {event} ON {table} BEGIN
        UPDATE groups SET version = version + 1 WHERE id IN ({rows}); END"""
        for table in ('group_members', 'categories')
        for event, rows in (
            ('INSERT', 'NEW.group_id'),
            ('UPDATE', 'OLD.group_id, NEW.group_id'),
            ('DELETE', 'OLD.group_id'),
        )
    ),
    """CREATE TRIGGER users_versions AFTER UPDATE OF display_name ON users
        WHEN OLD.display_name IS NOT NEW.display_name BEGIN
        UPDATE groups SET version = version + 1
        WHERE id IN (SELECT group_id FROM group_members WHERE user_id = NEW.id); END""",
    """CREATE TRIGGER groups_version AFTER UPDATE ON groups WHEN OLD.version = NEW.version BEGIN
        UPDATE groups SET version = version + 1 WHERE id = NEW.id; END""",
]

SQLITE_TRIGGERS = [
    'gifts_versions_insert', 'gifts_versions_delete', 'gifts_versions_content',
    'gifts_versions_purchase', 'purchases_versions_insert', 'purchases_versions_update',
    'purchases_versions_delete', 'group_members_versions_insert', 'group_members_versions_update',
    'group_members_versions_delete', 'categories_versions_insert', 'categories_versions_update',
    'categories_versions_delete', 'users_versions', 'groups_version',
]


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('piglists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('purchase_version', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    # Plain ALTER TABLE, not a batch: a batch rebuilds the table, and dropping piglists on
    # SQLite would cascade to every gift.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_DOWN)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {name}')
    op.execute('ALTER TABLE piglists DROP COLUMN purchase_version')
    op.execute('ALTER TABLE piglists DROP COLUMN version')
    op.execute('ALTER TABLE groups DROP COLUMN version')
