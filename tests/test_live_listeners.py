"""Who may still hear a group (piglist.live.listeners): the members a socket checks before each
event and heartbeat, read once per group per process instead of once per socket and check (5,000
open tabs made ~200 queries a second, and the first event after a quiet spell made every socket of
its group query at once, inside the fan-out), and forgotten by every process's hub as soon as the
group's members change, before anything more of the group is handed on."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import pytest
import redis
from simple_websocket import ConnectionClosed
from sqlalchemy import text

from piglist.extensions import db
from piglist.groups.members import remove_member
from piglist.live import cursors
from piglist.live.hub import MEMBERS, RESYNC, Broadcast, Subscription
from piglist.live.listeners import Listeners
from piglist.live.socket import NO_LONGER_A_MEMBER, POLICY, LiveSocket
from piglist.models import Group, GroupMember, User
from piglist.stores.redis_store import get_breaker

from . import factories
from .support.apps import both_backends
from .support.clients import changes
from .support.databases import redis_url
from .support.queries import counting_queries

PROMPTLY = 5.0  # seconds: "at once" against the 20 s a change took before (it takes milliseconds)


def test_a_groups_members_are_read_once_for_all_its_sockets(app, family):
    listeners = Listeners()
    gid = family.group.id
    ids = [user.id for user in (family.admin, family.owner, family.giver, family.other)]
    with counting_queries() as statements:
        answers = [listeners.may_listen(gid, user_id) for user_id in ids * 100]
    assert all(answers)
    assert len(statements) == 1
    assert not listeners.may_listen(gid, 999_999)
    assert not listeners.may_listen(gid + 1000, family.owner.id)  # no such group: nobody


def test_someone_removed_stops_being_a_listener_once_the_members_are_read_again(app, family):
    listeners = Listeners(max_age=0.2)
    gid, other, giver = family.group.id, family.other.id, family.giver.id
    assert listeners.may_listen(gid, other)
    remove_member(family.group, family.admin, other)
    db.session.commit()
    assert listeners.may_listen(gid, other)  # as read within max_age
    time.sleep(0.25)
    assert not listeners.may_listen(gid, other)
    assert listeners.may_listen(gid, giver)


def test_a_fresh_check_reads_the_members_again_and_keeps_them_for_the_others(app, family):
    listeners = Listeners()
    gid, other, giver = family.group.id, family.other.id, family.giver.id
    assert listeners.may_listen(gid, other)
    remove_member(family.group, family.admin, other)
    db.session.commit()
    assert listeners.may_listen(gid, other)  # as read a moment ago (no hub told this one)
    with counting_queries() as statements:
        assert not listeners.may_listen(gid, other, fresh=True)
        assert not listeners.may_listen(gid, other)  # the fresh read is kept
        assert listeners.may_listen(gid, giver)
    assert len(statements) == 1


def test_someone_who_has_just_joined_is_a_listener_at_once(app, family):
    """Their socket's handshake read the database; the members read a moment before they joined
    must not close it as if they had been removed."""
    listeners = Listeners(recheck=0.0)
    gid = family.group.id
    assert listeners.may_listen(gid, family.giver.id)
    newcomer = factories.make_user(display_name="Aunt May")
    factories.add_member(family.group, newcomer)
    db.session.commit()
    newcomer_id = newcomer.id
    with counting_queries() as statements:
        assert listeners.may_listen(gid, newcomer_id)
    assert len(statements) == 1


def test_someone_never_a_member_costs_at_most_one_read_per_recheck(app, family):
    listeners = Listeners(recheck=60)
    gid = family.group.id
    with counting_queries() as statements:
        assert not any(listeners.may_listen(gid, 999_999) for _ in range(50))
    assert len(statements) == 1


def test_a_forgotten_group_is_read_again_at_its_next_check(app, family):
    listeners = Listeners()  # kept 20 s: only forgetting makes it read again
    gid, other, giver = family.group.id, family.other.id, family.giver.id
    assert listeners.may_listen(gid, other)
    remove_member(family.group, family.admin, other)
    assert listeners.may_listen(gid, other)  # as read
    listeners.forget(gid)
    with counting_queries() as statements:
        assert not listeners.may_listen(gid, other)
        assert listeners.may_listen(gid, giver)
    assert len(statements) == 1
    listeners.forget(gid + 1)  # another group: this one's members stay as read
    listeners.forget_all()
    with counting_queries() as statements:
        assert not listeners.may_listen(gid, other)
    assert len(statements) == 1


@pytest.mark.parametrize(
    ("forgotten", "read_again"), [("the group", True), ("every group", True), ("another group", False)]
)
def test_members_read_while_the_group_is_forgotten_are_answered_but_not_kept(
    app, family, forgotten, read_again
):
    """A read under way when a change is forgotten may have been made before the change's commit:
    it answers the socket that asked, and the next check reads again. The read is held up for real,
    behind a lock on the members' table, while the hub forgets. Another group's change leaves the
    read alone: it is kept."""
    listeners = Listeners()
    gid, other = family.group.id, family.other.id
    forget = {
        "the group": lambda: listeners.forget(gid),
        "every group": listeners.forget_all,
        "another group": lambda: listeners.forget(gid + 1),
    }[forgotten]
    db.session.commit()
    answers = []

    def check() -> None:
        with app.app_context():
            answers.append(listeners.may_listen(gid, other))
            db.session.remove()

    with db.engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE group_members IN ACCESS EXCLUSIVE MODE"))
        reading = threading.Thread(target=check)
        reading.start()
        waiting = text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'group_members'::regclass"
        )
        deadline = time.monotonic() + 10
        with db.engine.connect() as look:
            while not look.execute(waiting).scalar():
                assert time.monotonic() < deadline, "the read never started"
                time.sleep(0.01)
        forget()
        blocker.rollback()
    reading.join(timeout=10)
    assert answers == [True]
    with counting_queries() as statements:
        assert listeners.may_listen(gid, other)
    assert len(statements) == (1 if read_again else 0)  # read again when what was read was not kept


def items_until(subscription: Subscription, wanted, timeout: float = 10) -> list:
    """What ``subscription`` receives until ``wanted(item)`` (included); a deadline, not a measurement."""
    items = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = subscription.get(timeout=max(deadline - time.monotonic(), 0.01))
        if item is not None:
            items.append(item)
            if wanted(item):
                return items
    raise AssertionError(f"nothing expected arrived; got {items!r}")


def is_deleted(gift_id: int):
    return lambda item: isinstance(item, Broadcast) and item.event.get("gift_id") == gift_id


def test_a_removal_makes_every_process_forget_the_group_before_its_next_event(app, elsewhere, api, family):
    """Two web processes (each its own app, hub and Redis subscription): the admin removes Gran
    through the API of one; each hub hears the change before the removal's own events (Gran's
    gift deleted) and has forgotten the members she was in, within moments, not 20 s."""
    gid, gran = family.group.id, family.other.id
    scarf = factories.make_gift(family.other, family.group, title="Scarf").id
    processes = [app, elsewhere]
    subscriptions = [each.extensions["piglist_live"].hub.subscribe(gid) for each in processes]
    for subscription in subscriptions:
        items_until(subscription, lambda item: item == RESYNC)  # subscribed

    def listening(each, user_id: int) -> bool:
        with each.app_context():
            return each.extensions["piglist_live"].listeners.may_listen(gid, user_id)

    assert all(listening(each, gran) for each in processes)  # each has read the members, Gran in them
    started = time.monotonic()
    assert api(family.admin).delete(f"/groups/{gid}/members/{gran}").status_code == 204
    for each, subscription in zip(processes, subscriptions, strict=True):
        heard = items_until(subscription, is_deleted(scarf))
        assert heard[0] == MEMBERS, heard  # before anything of the removal itself
        assert not listening(each, gran)
        assert listening(each, family.giver.id)
        assert time.monotonic() - started < PROMPTLY
        subscription.close()


def test_joining_is_heard_too(app, elsewhere, api, family):
    """A newcomer's socket, opened within RECHECK of the members being read without them, is not
    taken for someone removed: the join made every process forget the group."""
    gid = family.group.id
    subscription = elsewhere.extensions["piglist_live"].hub.subscribe(gid)
    items_until(subscription, lambda item: item == RESYNC)
    with elsewhere.app_context():
        assert elsewhere.extensions["piglist_live"].listeners.may_listen(gid, family.giver.id)
    newcomer = factories.make_user(display_name="Aunt May")
    newcomer_id = newcomer.id
    joined = api(newcomer).post("/groups/join", json={"invite_code": family.group.invite_code})
    assert joined.status_code in (200, 201), joined.get_json()
    items_until(subscription, lambda item: item == MEMBERS)
    with elsewhere.app_context():
        assert elsewhere.extensions["piglist_live"].listeners.may_listen(gid, newcomer_id)
    subscription.close()


@both_backends
def test_in_one_process_the_hub_forgets_before_it_hands_on_the_removal(app, api, family):
    """With Redis or without it (the in-memory feed calls the hub at the commit)."""
    gid, gran = family.group.id, family.other.id
    scarf = factories.make_gift(family.other, family.group, title="Scarf").id
    hub = app.extensions["piglist_live"].hub
    with hub.subscribe(gid) as subscription:
        if app.config["TEST_BACKEND"] == "postgresql":
            items_until(subscription, lambda item: item == RESYNC)
        assert hub.listeners.may_listen(gid, gran)
        db.session.commit()
        assert api(family.admin).delete(f"/groups/{gid}/members/{gran}").status_code == 204
        heard = items_until(subscription, is_deleted(scarf), timeout=PROMPTLY)
        assert heard[0] == MEMBERS, heard
        assert not hub.listeners.may_listen(gid, gran)


@both_backends
def test_a_removed_members_waiting_long_poll_answers_404_at_once(app, api, family):
    gid = family.group.id
    gran = api(family.other)
    cursor = changes(gran, gid)["cursor"]
    answers = []
    poll = threading.Thread(
        target=lambda: answers.append(
            gran.get(f"/groups/{gid}/changes", query_string={"since": cursor, "wait": 20})
        )
    )
    poll.start()
    time.sleep(0.5)  # waiting by now (if not, its own check answers 404 all the same)
    started = time.monotonic()
    assert api(family.admin).delete(f"/groups/{gid}/members/{family.other.id}").status_code == 204
    poll.join(timeout=10)
    assert time.monotonic() - started < PROMPTLY
    assert answers[0].status_code == 404
    assert answers[0].get_json()["error"]["code"] == "not_found"


def test_a_refused_removal_tells_no_hub(app, api, family):
    """Nothing committed, nothing forgotten: a member may not remove another."""
    gid = family.group.id
    hub = app.extensions["piglist_live"].hub
    with hub.subscribe(gid) as subscription:
        items_until(subscription, lambda item: item == RESYNC)
        refused = api(family.giver).delete(f"/groups/{gid}/members/{family.other.id}")
        assert refused.status_code == 403
        api(family.owner).patch(
            f"/gifts/{factories.make_gift(family.owner, family.group).id}", json={"title": "X"}
        )
        heard = items_until(subscription, lambda item: isinstance(item, Broadcast))
        assert MEMBERS not in heard


@pytest.mark.parametrize("door", ["erase", "delete group"])
def test_an_erased_account_or_a_deleted_group_is_heard_too(app, elsewhere, api, family, door):
    """Gran erasing her account (she leaves each group), or Mum deleting the group (nobody is in it
    any more): the other process forgets the members and nobody of Gran's may listen."""
    gid, gran = family.group.id, family.other.id
    hub = elsewhere.extensions["piglist_live"].hub
    with hub.subscribe(gid) as subscription:
        items_until(subscription, lambda item: item == RESYNC)
        with elsewhere.app_context():
            assert hub.listeners.may_listen(gid, gran)
        if door == "erase":
            answer = api(family.other).delete("/me", json={"password": factories.PASSWORD})
        else:
            answer = api(family.admin).delete(f"/groups/{gid}")
        assert answer.status_code == 204, answer.get_json()
        items_until(subscription, lambda item: item == MEMBERS, timeout=PROMPTLY)
        with elsewhere.app_context():
            assert not hub.listeners.may_listen(gid, gran)
            assert hub.listeners.may_listen(gid, family.giver.id) is (door == "erase")


@pytest.mark.parametrize("savepoint", ["released", "rolled back"])
def test_a_savepoint_tells_nothing_before_the_transaction_around_it_commits(app, family, savepoint):
    """SQLAlchemy runs its commit and rollback hooks for a savepoint too (a purchase's alert is
    written in one, piglist.gifts.alerts): nothing is told until the transaction around it commits,
    and a savepoint rolled back (a simultaneous insert won) drops nothing of that transaction."""
    from sqlalchemy.exc import IntegrityError

    gid = family.group.id
    with a_join_and_a_rename_noted(app, family) as (subscription, kite):
        try:
            with db.session.begin_nested():
                if savepoint == "rolled back":
                    db.session.add(GroupMember(group_id=gid, user_id=family.giver.id, role="member"))
                else:
                    kite.description = "Two lines"
        except IntegrityError:
            pass
        assert subscription.get(timeout=0.5) is None  # the transaction is still open
        db.session.commit()
        heard = items_until(subscription, lambda item: isinstance(item, Broadcast))
        assert heard[0] == MEMBERS, heard
        assert heard[-1].event["type"] == "gift_updated"


def test_what_a_closed_session_had_noted_is_never_told(app, family):
    """Closing a session ends its transaction with no rollback hook: the events and membership
    changes it had noted go with it, and a later commit of the same context tells none of them."""
    with a_join_and_a_rename_noted(app, family) as (subscription, _kite):
        db.session.close()  # discarded, as a page's mid-request close does
        factories.make_category(db.session.get(Group, family.group.id), name="Books")  # commits
        assert subscription.get(timeout=0.5) is None


@contextlib.contextmanager
def a_join_and_a_rename_noted(app, family):
    """Aunt May joining the family and Tom's kite renamed (its event emitted), flushed in a
    transaction left open; with a subscription to the group's hub, which would hear both."""
    from piglist.live import feed
    from piglist.models import Piglist

    hub = app.extensions["piglist_live"].hub
    newcomer = factories.make_user(display_name="Aunt May")
    kite = factories.make_gift(family.owner, family.group, title="Kite")
    with hub.subscribe(family.group.id) as subscription:
        items_until(subscription, lambda item: item == RESYNC)
        db.session.add(GroupMember(group=family.group, user=newcomer, role="member"))
        db.session.add(Piglist.for_member(family.group, newcomer))
        kite.title = "Stunt kite"
        feed.emit("gift_updated", kite)
        db.session.flush()
        yield subscription, kite


def test_a_removal_between_a_polls_check_and_its_subscription_hands_her_nothing(app, api, family):
    """The poll checks membership, lets its database connection go, then subscribes and catches up:
    a removal committed in between may not have reached the hub yet. Before it hands on what it
    caught up with (here Tom's gift renamed a moment before), the poll reads the members again, and
    answers 404 at once instead of that event."""
    gid = family.group.id
    gran, admin = api(family.other), api(family.admin)
    cursor = changes(gran, gid)["cursor"]
    kite = factories.make_gift(family.owner, family.group, title="Kite").id
    assert api(family.owner).patch(f"/gifts/{kite}", json={"title": "Stunt kite"}).status_code == 200
    hub = app.extensions["piglist_live"].hub
    subscribe = hub.subscribe

    def removed_first(group_id: int) -> Subscription:
        assert admin.delete(f"/groups/{gid}/members/{family.other.id}").status_code == 204
        return subscribe(group_id)

    hub.subscribe = removed_first
    started = time.monotonic()
    answer = gran.get(f"/groups/{gid}/changes", query_string={"since": cursor, "wait": 10})
    assert answer.status_code == 404, answer.get_json()
    assert answer.get_json()["error"]["code"] == "not_found"
    assert time.monotonic() - started < PROMPTLY


class RecordingSocket:
    """A socket's server end as LiveSocket uses it: what it sent, how it was closed; the client
    closes at once when the socket starts reading it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    def send(self, message: str) -> None:
        self.sent.append(message)

    def receive(self) -> str:
        raise ConnectionClosed()

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def test_a_removal_between_a_sockets_check_and_its_subscription_hands_her_nothing(app, api, family):
    """The socket's handshake checks membership; a removal committed before its subscription may
    not have reached the hub. Before catching up from the page's cursor (Tom's gift renamed a moment
    before), the socket reads the members again, and closes with 1008 instead of sending it."""
    gid = family.group.id
    gran, admin = api(family.other), api(family.admin)
    since = cursors.unseal(gid, changes(gran, gid)["cursor"])
    kite = factories.make_gift(family.owner, family.group, title="Kite").id
    assert api(family.owner).patch(f"/gifts/{kite}", json={"title": "Stunt kite"}).status_code == 200
    hub = app.extensions["piglist_live"].hub
    subscribe = hub.subscribe

    def removed_first(group_id: int) -> Subscription:
        hub.members_changed = lambda group_id: None  # the hub has not heard of the removal yet
        assert admin.delete(f"/groups/{gid}/members/{family.other.id}").status_code == 204
        return subscribe(group_id)

    # The hub listening already (its first subscription forgets every group's members), and the
    # group's members read before the removal, with Gran among them.
    with hub.subscribe(gid) as already:
        items_until(already, lambda item: item == RESYNC)
        assert hub.listeners.may_listen(gid, family.other.id)
        hub.subscribe = removed_first
        ws = RecordingSocket()
        with app.test_request_context():
            LiveSocket(ws, gid, db.session.get(User, family.other.id), "json").run(since)
    assert ws.closed == (POLICY, NO_LONGER_A_MEMBER)
    assert ws.sent == []


def test_with_redis_refusing_a_removal_is_saved_and_a_resubscribing_hub_forgets_what_it_missed(
    app, api, family, caplog
):
    """The commit's message to the hubs is lost while Redis is down: the removal stands and the loss
    is logged, and a hub that subscribes again (as it does when Redis comes back) forgets every
    group's members, since it may have missed a change meanwhile."""
    gid, gran = family.group.id, family.other.id
    hub = app.extensions["piglist_live"].hub
    with hub.subscribe(gid) as subscription:
        items_until(subscription, lambda item: item == RESYNC)
        assert hub.listeners.may_listen(gid, gran)  # the group's members, as read before
        get_breaker(app).trip(ConnectionError("test: Redis down"))
        with caplog.at_level(logging.WARNING, logger="piglist.live.feed"):
            assert api(family.admin).delete(f"/groups/{gid}/members/{gran}").status_code == 204
        assert "membership change not published" in caplog.text
        assert db.session.get(GroupMember, (gid, gran)) is None
        assert hub.listeners.may_listen(gid, gran)  # not heard: still taken as read

        server = redis.Redis.from_url(redis_url())
        database = str(server.connection_pool.connection_kwargs["db"])  # this test process's own
        for link in server.client_list(_type="pubsub"):
            if link["db"] == database:  # the hub's link drops (other processes' hubs keep theirs)
                server.client_kill_filter(_id=link["id"])
        items_until(subscription, lambda item: item == RESYNC)
        assert not hub.listeners.may_listen(gid, gran)
