"""The surprise rule, tested as the owner: nothing they receive changes when their gift is bought,
un-bought, looked at, or deleted after being bought."""

import pytest

from piglist.live import viewing
from piglist.rules.surprise import visible_event

from .. import factories
from ..support.owner_view import owner_answers


@pytest.mark.parametrize("action", ["buy", "buy_and_undo", "view"])
def test_owner_api_answers_are_identical_byte_for_byte(app, api, family, action):
    category = factories.make_category(family.group, spending_limit="100")
    gift = factories.make_gift(family.owner, family.group, price="40", category_id=category.id)
    factories.make_gift(family.giver, family.group, price="15")
    before = owner_answers(api, family, gift.id)
    giver = api(family.giver)
    if action in ("buy", "buy_and_undo"):
        assert giver.post(f"/gifts/{gift.id}/purchase").status_code == 200
    if action == "buy_and_undo":
        assert giver.delete(f"/gifts/{gift.id}/purchase").status_code == 200
    if action == "view":
        with app.test_request_context():
            viewing.view_gift(gift.id, family.giver, "tab-1")
    assert owner_answers(api, family, gift.id) == before


def test_delete_after_buying_looks_to_the_owner_like_any_delete(api, family):
    bought = factories.make_gift(family.owner, family.group, title="Bought")
    plain = factories.make_gift(family.owner, family.group, title="Plain")
    api(family.giver).post(f"/gifts/{bought.id}/purchase")
    owner = api(family.owner)
    first = owner.delete(f"/gifts/{bought.id}")
    second = owner.delete(f"/gifts/{plain.id}")
    assert (first.status_code, first.get_data()) == (second.status_code, second.get_data())
    assert owner.get(f"/gifts/{bought.id}").get_data() == owner.get(f"/gifts/{plain.id}").get_data().replace(
        str(plain.id).encode(), str(bought.id).encode()
    )


def test_errors_to_the_owner_do_not_reveal_a_purchase(api, family):
    gift = factories.make_gift(family.owner, family.group)
    owner = api(family.owner)
    before = owner.post(f"/gifts/{gift.id}/purchase")
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    after = owner.post(f"/gifts/{gift.id}/purchase")
    assert (before.status_code, before.get_data()) == (after.status_code, after.get_data())
    undo = owner.delete(f"/gifts/{gift.id}/purchase")
    assert undo.status_code == 403
    assert b"bought" in undo.get_data()  # the general rule, the same whether bought or not
    api(family.giver).delete(f"/gifts/{gift.id}/purchase")
    assert owner.delete(f"/gifts/{gift.id}/purchase").get_data() == undo.get_data()


@pytest.mark.parametrize("kind", ["gift_purchased", "gift_unpurchased", "presence"])
def test_owner_never_receives_purchase_or_presence_events(kind):
    event = {"type": kind, "gift_id": 1, "owner_id": 7, "viewers": [{"id": 8, "display_name": "Dad"}]}
    assert visible_event(event, 7) is None
    assert visible_event(event, 8) is not None


def test_presence_events_never_name_the_reader():
    event = {"type": "presence", "gift_id": 1, "owner_id": 7, "viewers": [{"id": 8, "display_name": "Dad"}]}
    assert visible_event(event, 8)["viewers"] == []
    assert visible_event(event, 9)["viewers"] == [{"id": 8, "display_name": "Dad"}]


@pytest.mark.parametrize(
    "kind", ["gift_created", "gift_updated", "gift_deleted", "gift_purchased", "gift_unpurchased", "presence"]
)
def test_everyone_in_one_audience_receives_the_same_event(kind):
    """A process shapes an event once per audience (piglist.live.socket): that is only right if
    visible_event is the same for everyone audience() puts together."""
    from piglist.rules.surprise import audience

    event = {
        "type": kind,
        "group_id": 1,
        "gift_id": 2,
        "owner_id": 7,
        "at": "now",
        "viewers": [{"id": 8, "display_name": "Dad"}, {"id": 9, "display_name": "Gran"}],
    }
    seen: dict = {}
    for reader in range(5, 12):
        seen.setdefault(audience(event, reader), []).append(visible_event(event, reader))
    for shapes in seen.values():
        assert all(shape == shapes[0] for shape in shapes)
    assert audience(event, 7) != audience(event, 5)


def test_an_event_type_not_on_the_allow_list_never_reaches_the_owner():
    from piglist.rules.surprise import OWNER_EVENT_TYPES

    event = {"type": "gift_teleported", "group_id": 1, "gift_id": 2, "owner_id": 7, "at": "now"}
    assert "gift_teleported" not in OWNER_EVENT_TYPES
    assert visible_event(event, 7) is None
    assert visible_event(event, 8) is not None


def test_an_owner_event_carries_only_the_allowed_fields():
    event = {"type": "gift_updated", "group_id": 1, "gift_id": 2, "owner_id": 7, "at": "now", "by": "Dad"}
    assert visible_event(event, 7) == {
        "type": "gift_updated",
        "group_id": 1,
        "gift_id": 2,
        "owner_id": 7,
        "at": "now",
    }


def test_the_owners_view_holds_only_allowed_fields(app, family):
    from piglist.rules.surprise import OWNER_GIFT_FIELDS, present_gift

    gift = factories.make_gift(family.owner, family.group)
    assert set(present_gift(gift, family.owner)) <= OWNER_GIFT_FIELDS
    assert {"status", "purchased_by", "purchased_at", "viewers"} <= set(present_gift(gift, family.giver))


@pytest.mark.parametrize(
    "purchases",
    [
        [("giver", 2)],
        [("giver", 2), ("other", 1)],
        [("giver", 1), ("other", 1), ("undo", "giver")],
        [("giver", 2), ("other", 2)],  # asks for more than remain: refused
    ],
)
def test_owner_api_answers_are_identical_with_partial_purchases(api, family, purchases):
    gift = factories.make_gift(family.owner, family.group, price="12", quantity=3, priority="high")
    before = owner_answers(api, family, gift.id)
    for who, what in purchases:
        if who == "undo":
            assert api(getattr(family, what)).delete(f"/gifts/{gift.id}/purchase").status_code == 200
        else:
            api(getattr(family, who)).post(f"/gifts/{gift.id}/purchase", json={"quantity": what})
    after = owner_answers(api, family, gift.id)
    assert after == before
    body = after[f"/gifts/{gift.id}"][1]
    assert b'"quantity":3' in body.replace(b" ", b"") and b"purchase" not in body


def test_owner_changing_the_quantity_learns_nothing_of_purchases(api, family):
    """The owner may lower the quantity below what is bought: refusing would tell them."""
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    other = factories.make_gift(family.owner, family.group, quantity=3)
    api(family.giver).post(f"/gifts/{gift.id}/purchase", json={"quantity": 2})
    owner = api(family.owner)
    bought, plain = (owner.patch(f"/gifts/{g.id}", json={"quantity": 1}) for g in (gift, other))
    assert bought.status_code == plain.status_code == 200
    assert set(bought.get_json()) == set(plain.get_json())
    seen = api(family.other).get(f"/gifts/{gift.id}").get_json()
    assert (seen["status"], seen["purchased_quantity"]) == ("purchased", 2)
