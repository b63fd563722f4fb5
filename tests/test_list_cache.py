"""The lists' cache (piglist.gifts.listcache) and the versions it is keyed on (migration 0007): every
write that changes what a list shows moves a version, on PostgreSQL and on SQLite; a list nothing
changed is served without reading its gifts; and a purchase never re-renders the owner's own list."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from piglist.extensions import db
from piglist.models import Category, Gift, Group, GroupMember, Piglist, Reveal, User, utcnow

from . import factories
from .support.apps import both_backends
from .support.clients import member_client, post_form
from .support.occasions import make_occasion
from .support.pages import normalised
from .support.queries import counting_queries, gift_queries
from .support.rows import fresh

# What a purchase changes on the gift row; every other column is what the owner sees.
PURCHASE_COLUMNS = {"status", "purchased_by_id", "purchased_at"}


def versions(group: Group, owner: User) -> tuple[int, int, int]:
    """(the group's version, the owner's list's version, its purchase version), as stored."""
    db.session.expire_all()
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == owner.id)
    )
    return db.session.get(Group, group.id).version, piglist.version, piglist.purchase_version


def new_value(gift: Gift, column: str, family):
    """A value for ``column`` different from the gift's, that the constraints accept."""
    current = getattr(gift, column)
    other_list = db.session.scalar(
        select(Piglist.id).where(Piglist.group_id == family.group.id, Piglist.user_id == family.giver.id)
    )
    if column == "category_id":
        return factories.make_category(family.group, name=f"Moved {current}").id
    if column in ("occasion_id", "reveal_id"):
        occasion = make_occasion(family.group, f"Moved {current}", days_from_now=-1)
        if column == "occasion_id":
            return occasion.id
        reveal = Reveal(occasion_id=occasion.id, piglist_id=other_list)
        db.session.add(reveal)
        db.session.commit()
        return reveal.id
    values = {
        "piglist_id": other_list,
        "price": Decimal("12.34"),
        "regular_price": Decimal("20.00"),
        "currency": "EUR",
        "quantity": 3,
        "priority": "high",
        "options": {"size": "L"},
        "scrape_status": "pending",
        "status": "purchased",
        "purchased_by_id": family.giver.id,
        "purchased_at": utcnow(),
        "added_by_id": family.giver.id,
        "is_idea": True,
        "deleted_at": utcnow(),
        "thanked_at": utcnow(),
        "created_at": utcnow() - timedelta(days=3),
        "updated_at": utcnow() + timedelta(days=1),
    }
    value = values.get(column, f"changed {column} {current}")
    assert value != current
    return value


@both_backends
def test_each_gift_column_moves_the_version_it_should(app, family):
    """Every column of gifts (today's and any added later): the purchase state moves the purchase
    version only, anything else the list's version only. Catches a column a new migration adds
    without teaching the SQLite triggers about it."""
    columns = [c.name for c in Gift.__table__.columns if c.name != "id"]
    for column in columns:
        gift = factories.make_gift(family.owner, family.group, price="10")
        value = new_value(gift, column, family)
        before = versions(family.group, family.owner)
        db.session.execute(Gift.__table__.update().where(Gift.id == gift.id).values({column: value}))
        db.session.commit()
        group, content, purchases = versions(family.group, family.owner)
        if column in PURCHASE_COLUMNS:
            assert (group, content, purchases) == (before[0], before[1], before[2] + 1), column
        else:
            assert (group, purchases) == (before[0], before[2]) and content > before[1], column


@both_backends
def test_gifts_purchases_members_categories_names_and_the_group_move_versions(app, family):
    start = versions(family.group, family.owner)
    gift = factories.make_gift(family.owner, family.group, price="10")
    added = versions(family.group, family.owner)
    assert added == (start[0], start[1] + 1, start[2])

    factories.make_purchase(gift, family.giver)
    bought = versions(family.group, family.owner)
    assert bought[:2] == added[:2] and bought[2] > added[2]  # the owner's list as they see it: unmoved

    factories.make_category(family.group, name="Stocking")
    assert versions(family.group, family.owner)[0] == bought[0] + 1
    db.session.get(User, family.other.id).display_name = "Granny"
    db.session.commit()
    assert versions(family.group, family.owner)[0] == bought[0] + 2
    db.session.get(Group, family.group.id).name = "The Smiths"
    db.session.commit()
    assert versions(family.group, family.owner)[0] == bought[0] + 3
    factories.add_member(family.group, factories.make_user(display_name="Baby"))
    assert versions(family.group, family.owner)[0] == bought[0] + 4
    db.session.delete(db.session.get(Gift, gift.id))
    db.session.commit()
    assert versions(family.group, family.owner)[1] == bought[1] + 1


def test_the_versions_move_when_the_transaction_commits(app, family):
    """On PostgreSQL the triggers are deferred: nothing is moved, or locked, before the commit."""
    gift = factories.make_gift(family.owner, family.group, price="10")
    before = versions(family.group, family.owner)
    db.session.execute(Gift.__table__.update().where(Gift.id == gift.id).values(title="Kite"))
    inside = db.session.execute(
        text("SELECT version FROM piglists WHERE group_id = :g AND user_id = :u"),
        {"g": family.group.id, "u": family.owner.id},
    ).scalar()
    assert inside == before[1]
    db.session.commit()
    assert versions(family.group, family.owner)[1] == before[1] + 1


@both_backends
def test_an_unchanged_list_is_served_without_reading_the_gifts(app, family):
    for n in range(3):
        factories.make_gift(family.owner, family.group, title=f"Wish {n}", price="5")
    reader = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    with counting_queries() as first:
        made = normalised(reader.get(path))
    with counting_queries() as second:
        served = normalised(reader.get(path))
    assert gift_queries(first) >= 1 and gift_queries(second) == 0
    assert not [s for s in second if "FROM categories" in s]  # kept per group version too
    assert len(second) < len(first)
    assert served == made

    factories.make_gift(family.owner, family.group, title="A new wish", price="5")
    assert "A new wish" in reader.get(path).get_data(as_text=True)


def test_a_purchase_re_renders_the_list_for_everyone_but_its_owner(app, family, api):
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="5")
    owner, other = member_client(app, family.owner), member_client(app, family.other)
    pages = [
        f"/groups/{family.group.id}/piglists/{family.owner.id}/frame",
        f"/groups/{family.group.id}/my-piglist",
    ]
    before = {path: normalised(owner.get(path)) for path in pages}
    assert "Available" in other.get(pages[0]).get_data(as_text=True)

    assert api(family.giver).post(f"/gifts/{gift.id}/purchase").status_code == 200

    assert "Purchased by" in other.get(pages[0]).get_data(as_text=True)
    for path in pages:
        with counting_queries() as statements:
            after = normalised(owner.get(path))
        # Byte for byte the same, and not even rendered again: no slower page to time.
        assert after == before[path]
        assert gift_queries(statements) == 0, path
    # The API alike.
    mine = api(family.owner)
    listed = mine.get(f"/groups/{family.group.id}/piglists").get_data()
    with counting_queries() as statements:
        assert mine.get(f"/groups/{family.group.id}/piglists").get_data() == listed
    assert gift_queries(statements) == 0


@both_backends
def test_members_come_with_their_lists_versions_or_are_not_cached(app, family):
    """The list pages read each member's own list's versions with the membership, in one query,
    also for members the session already holds; members read without them, or without a list,
    are rendered afresh, never looked up under a key that could not tell their list changed."""
    from piglist.gifts import listcache, reading

    kite = factories.make_gift(family.owner, family.group, title="Kite", price="5")
    db.session.expire_all()
    plain = list(db.session.scalars(select(GroupMember).where(GroupMember.group_id == family.group.id)))
    assert {m.list_version for m in plain} == {None}
    rendered = []

    def render(view):
        rendered.append(view.user.id)
        return "body"

    group, viewer = db.session.get(Group, family.group.id), db.session.get(User, family.giver.id)
    for _ in range(2):
        listcache.rendered_lists(group, viewer, {}, "test", render, plain, looking={})
    assert len(rendered) == 2 * len(plain)

    with counting_queries() as statements:
        _, members = reading.group_and_members(family.group.id, viewer)
    assert len(statements) == 1
    assert members[0] in plain  # the very objects the session held, given their versions
    read = {m.user_id: (m.list_version, m.list_purchase_version) for m in members}
    # The session reads the members again, still holding them, after a wish was renamed: the
    # second read must see the version move.
    rename = text("UPDATE gifts SET title = 'Red kite' WHERE id = :id")
    if app.config["TEST_BACKEND"] == "postgresql":
        # By another process (PostgreSQL moves versions when the writing transaction commits).
        with db.engine.begin() as other:
            other.execute(rename, {"id": kite.id})
    else:
        # In this transaction (SQLite has one writer at a time, and its triggers move at once).
        db.session.execute(rename, {"id": kite.id})
    _, again = reading.group_and_members(family.group.id, viewer)
    moved = {m.user_id: (m.list_version, m.list_purchase_version) for m in again}
    assert moved[family.owner.id][0] > read[family.owner.id][0]
    assert moved[family.owner.id] == versions(family.group, family.owner)[1:]

    # A member without a list of their own (the outer join finds none): never stored.
    db.session.execute(
        text("DELETE FROM piglists WHERE group_id = :group AND user_id = :user"),
        {"group": family.group.id, "user": family.other.id},
    )
    db.session.commit()
    _, members = reading.group_and_members(family.group.id, viewer)
    rendered.clear()
    for _ in range(2):
        listcache.rendered_lists(
            group, viewer, {"member": family.other.id}, "test", render, members, looking={}
        )
    assert rendered == [family.other.id, family.other.id]


def test_someone_looking_shows_to_others_at_once_and_never_to_the_owner(app, family):
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="5")
    owner, other, giver = (member_client(app, u) for u in (family.owner, family.other, family.giver))
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    owner_before = normalised(owner.get(path))
    assert "is looking" not in other.get(path).get_data(as_text=True)

    viewing = f"/groups/{family.group.id}/gifts/{gift.id}/viewing"
    assert post_form(giver, viewing, {"connection": "tab-1"}).status_code == 204
    assert "Dad is looking" in other.get(path).get_data(as_text=True)
    with counting_queries() as statements:
        assert normalised(owner.get(path)) == owner_before
    assert gift_queries(statements) == 0

    leave = f"/groups/{family.group.id}/gifts/{gift.id}/leave"
    assert post_form(giver, leave, {"connection": "tab-1"}).status_code == 204
    assert "is looking" not in other.get(path).get_data(as_text=True)


def test_each_session_gets_its_own_csrf_token_in_a_stored_list(app, family):
    """Two browsers of one person: the list the first made is stored, the second still buys."""
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="5")
    laptop, phone = member_client(app, family.giver), member_client(app, family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    laptop.get(path)
    page = phone.get(path).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert "<csrf-token>" not in page
    buy = phone.post(f"/groups/{family.group.id}/gifts/{gift.id}/purchase", data={"csrf_token": token})
    assert buy.status_code in (302, 303)
    assert fresh(gift.id).status == "purchased"


@pytest.mark.parametrize("title", ["<csrf-token>", "&lt;csrf-token&gt;"])
def test_a_title_like_the_placeholder_stays_text(app, family, api, title):
    """Hostile: a gift named like the token's placeholder is shown as typed, and nobody's token
    lands in a page's text or in the API."""
    factories.make_gift(family.owner, family.group, title=title, price="5")
    reader = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    for _ in range(2):  # made, then stored
        page = reader.get(path).get_data(as_text=True)
        assert title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page
    for _ in range(2):
        listed = api(family.giver).get(f"/groups/{family.group.id}/piglists").get_json()
        assert [g["title"] for p in listed for g in p["gifts"]] == [title]


def test_a_list_for_one_reader_is_never_served_to_another(app, family):
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="5")
    factories.make_purchase(gift, family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    giver_page = member_client(app, family.giver).get(path).get_data(as_text=True)
    owner_page = member_client(app, family.owner).get(path).get_data(as_text=True)
    assert "Purchased by" in giver_page and "badge-purchased" in giver_page
    assert "Purchased by" not in owner_page and "badge-purchased" not in owner_page


def test_the_cache_can_be_switched_off_and_is_bounded(app, family):
    from piglist.gifts.listcache import ListCache

    off = ListCache(0, 60)
    off.put("k", "body", (), {})
    assert off.get("k", {}) is None
    small = ListCache(1000, 60)
    small.put("big", secrets.token_hex(2500), (), {})  # kept compressed: random text stays big
    assert small.get("big", {}) is None
    small.put("compressed", "x" * 5000, (), {})  # 5,000 characters that compress into the bound
    assert small.get("compressed", {}) == "x" * 5000
    small.put("a", "x", (1,), {1: {7}})
    assert small.get("a", {1: {7}}) == "x"
    assert small.get("a", {1: {7, 8}}) is None  # someone else came to look
    assert small.get("a", {2: {7}}) is None  # the viewer left


def test_lists_are_kept_compressed_and_the_bound_counts_what_is_kept(app, family):
    """The bound is on the bytes the cache keeps (its lists compressed), so it holds several
    times its bound of HTML, never more bytes than its bound."""
    import zlib

    from piglist.gifts.listcache import ListCache

    for n in range(20):
        factories.make_gift(family.owner, family.group, title=f"Wish {n}", price="5", options={"size": "M"})
    cache = app.extensions["piglist_listcache"] = ListCache(12_000, 60)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"
    pages = {person.id: member_client(app, person).get(path) for person in (family.giver, family.other)}
    assert {page.status_code for page in pages.values()} == {200}
    kept = list(cache._entries.values())
    html = sum(len(zlib.decompress(entry.body)) for entry in kept)
    assert len(kept) == 2 and html > 2 * cache._entries.maxsize
    assert sum(len(entry.body) for entry in kept) <= cache._entries.currsize <= cache._entries.maxsize


def test_categories_and_renames_show_at_once(app, family):
    factories.make_gift(family.owner, family.group, title="Kite", price="5")
    reader = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/piglists"
    reader.get(path)
    db.session.get(User, family.owner.id).display_name = "Tommy"
    db.session.add(Category(group_id=family.group.id, name="Big presents"))
    db.session.commit()
    page = reader.get(path).get_data(as_text=True)
    assert "Tommy's piglist" in page and "Big presents" in page
    db.session.scalar(select(Category).where(Category.name == "Big presents")).name = "Huge presents"
    db.session.commit()
    page = reader.get(path).get_data(as_text=True)
    assert "Huge presents" in page and "Big presents" not in page


def test_a_lock_date_passing_freezes_a_stored_list_without_any_write(app, family, monkeypatch):
    from piglist.rules import lock

    factories.make_gift(family.owner, family.group, title="Kite", price="5")
    group = db.session.get(Group, family.group.id)
    group.lock_date = lock.today()
    db.session.commit()
    owner = member_client(app, family.owner)
    path = f"/groups/{family.group.id}/my-piglist"
    assert "/edit" in owner.get(path).get_data(as_text=True)
    monkeypatch.setattr(lock, "today", lambda: group.lock_date + timedelta(days=1))
    assert "/edit" not in owner.get(path).get_data(as_text=True)
