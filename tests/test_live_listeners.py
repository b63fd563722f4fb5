"""Who may still hear a group (piglist.live.listeners): the members a socket checks before each
event and heartbeat, read once per group and minute per process instead of once per socket and
check (5,000 open tabs made ~200 queries a second, and the first event after a quiet minute made
every socket of its group query at once, inside the fan-out)."""

from __future__ import annotations

import time

from piglist.extensions import db
from piglist.groups.members import remove_member
from piglist.live.listeners import Listeners

from . import factories
from .support.queries import counting_queries


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
