"""The list pages read a fixed number of rows' worth of queries, whatever the number of gifts, and
no more than the README's budget: 8 per page or API call. Buying and undoing keep to it too, and
read nothing again after they write."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Gift, Piglist, Purchase
from piglist.stores import fx

from . import factories
from .support.clients import csrf_token, member_client, post_form
from .support.queries import BUDGET, counting_queries

MEMBERS = 8


def build_group(gifts_each: int):
    people = [factories.make_user(display_name=f"Member {n}") for n in range(MEMBERS)]
    group = factories.make_group(people[0], *people[1:])
    categories = [
        factories.make_category(group, name=f"Category {n}", spending_limit="100000") for n in range(3)
    ]
    # Every gift in one commit (up to 560: one each would spend seconds reloading the ones before).
    with db.session.no_autoflush:
        for person_number, person in enumerate(people):
            for n in range(gifts_each):
                gift = factories.make_gift(
                    person,
                    group,
                    commit=False,
                    price=str(n + 1),
                    category_id=categories[n % 4].id if n % 4 < 3 else None,
                    options={"size": "M"},
                )
                if person_number and n % 3 == 0:
                    # Bought by someone else than its owner and the reader, so every state is drawn.
                    buyer = people[(person_number + 1) % MEMBERS].id
                    gift.status, gift.purchased_by_id = "purchased", buyer
                    db.session.add(Purchase(gift=gift, user_id=buyer, quantity=1))
    db.session.commit()
    return group, people


def queries_for(app, gifts_each: int) -> dict[str, int]:
    group, people = build_group(gifts_each)
    reader = member_client(app, people[1])
    watched = db.session.scalar(
        select(Gift.id)
        .join(Piglist)
        .where(Piglist.user_id == people[2].id)
        .order_by(Gift.id)
        .offset(1)
        .limit(1)
    )
    watcher = member_client(app, people[3])
    viewing = f"/groups/{group.id}/gifts/{watched}/viewing"
    assert post_form(watcher, viewing, {"connection": "tab-1"}).status_code == 204
    paths = {
        # The all-lists page's lazy frames (the page itself reads no gift: the test below).
        "piglists": f"/groups/{group.id}/piglists/{people[2].id}/frame",
        "sorted": f"/groups/{group.id}/piglists/{people[2].id}/frame?sort=-price",
        "one piglist": f"/groups/{group.id}/piglists/{people[2].id}",
        "my piglist": f"/groups/{group.id}/my-piglist",
    }
    counts = {}
    fx.latest()  # the exchange rates: read once a minute per process, not per page
    for name, path in paths.items():
        # The lists' cache emptied: the count of a page whose lists are all rendered afresh.
        app.extensions["piglist_listcache"].clear()
        with counting_queries() as statements:
            response = reader.get(path)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count('<turbo-frame id="gift_') >= gifts_each
        assert "Member 3 is looking" in page or name == "my piglist"
        counts[name] = len(statements)
    return counts


def test_list_pages_use_the_same_number_of_queries_for_5_or_70_gifts_each(app):
    small = queries_for(app, 5)
    large = queries_for(app, 70)  # 560 gifts: past any batch size of an IN list
    assert large == small
    assert max(small.values()) <= BUDGET, small


def test_the_all_lists_page_reads_no_gift_whatever_the_lists_hold(app):
    counts = []
    for gifts_each in (5, 70):
        group, people = build_group(gifts_each)
        reader = member_client(app, people[1])
        with counting_queries() as statements:
            page = reader.get(f"/groups/{group.id}/piglists").get_data(as_text=True)
        assert not [s for s in statements if "FROM gifts" in s]
        assert page.count('class="list-frame" loading="lazy"') == MEMBERS
        counts.append(len(statements))
    assert counts[0] == counts[1] <= BUDGET


def api_queries_for(api, gifts_each: int) -> int:
    group, people = build_group(gifts_each)
    reader = api(people[1])
    path = f"/groups/{group.id}/piglists"
    reader.get(path)  # warm up: first-request work isn't per-gift work
    current_app.extensions["piglist_listcache"].clear()  # every list read afresh
    with counting_queries() as statements:
        response = reader.get(path)
    assert response.status_code == 200
    assert sum(len(p["gifts"]) for p in response.get_json()) == MEMBERS * gifts_each
    return len(statements)


def test_the_piglists_api_uses_the_same_number_of_queries_for_5_or_70_gifts_each(app, api):
    small = api_queries_for(api, 5)
    assert api_queries_for(api, 70) == small
    assert small <= BUDGET


# --- buying ----------------------------------------------------------------------------------------


def buy_and_undo(buy, undo, expected: tuple[int, int] = (200, 200)):
    """The statements of a purchase and of its undo, and the purchase's answer. A first pair runs
    uncounted, as bench/web.py counts the second of two runs (the first may do first-use work)."""
    buy(), undo()
    with counting_queries() as bought:
        first = buy()
    with counting_queries() as undone:
        second = undo()
    assert (first.status_code, second.status_code) == expected
    return {"purchase": bought, "undo": undone}, first


def nothing_read_again(statements: list[str]) -> bool:
    """No gift and no purchase is read after the first write: the answer is made of what was read
    under the gift's lock and written (who is looking may still be read)."""
    writes = [n for n, s in enumerate(statements) if s.lstrip().startswith(("INSERT", "UPDATE", "DELETE"))]
    later_reads = [s for s in statements[writes[0] :] if s.lstrip().startswith("SELECT")] if writes else []
    return bool(writes) and not any("gifts" in s or "purchases" in s for s in later_reads)


def buying_statements(counts: dict[str, list[str]]) -> dict[str, int]:
    """How many statements each request ran besides finding who is calling (a token or a login,
    which costs the same in every request and changes on its own)."""
    return {
        name: sum(1 for s in statements if "api_tokens" not in s and "user_sessions" not in s)
        for name, statements in counts.items()
    }


def someone_looks_at(app, person, group_id: int, gift_id: int) -> None:
    """So that the answers name a viewer, which may take a statement of its own."""
    watcher = member_client(app, person)
    viewing = f"/groups/{group_id}/gifts/{gift_id}/viewing"
    assert post_form(watcher, viewing, {"connection": "tab-1"}).status_code == 204


def test_a_purchase_and_its_undo_through_the_api_stay_within_the_budget(app, api, family):
    whole = factories.make_gift(family.owner, family.group).id
    part = factories.make_gift(family.owner, family.group, quantity=3).id
    for gift_id in (whole, part):
        someone_looks_at(app, family.other, family.group.id, gift_id)
    assert api(family.admin).post(f"/gifts/{part}/purchase").status_code == 200  # the first buyer
    buyer = api(family.giver)
    # Besides finding the caller: the gift locked with its list, owner and the buyer's membership;
    # its purchases; the buyer's purchase written; the gift's row, when its status or first buyer
    # changes (not for a second buyer of 1 of 3); and who is looking, by name, for the answer.
    pinned = {whole: {"purchase": 5, "undo": 5}, part: {"purchase": 4, "undo": 4}}
    for gift_id in (whole, part):
        path = f"/gifts/{gift_id}/purchase"
        counts, answer = buy_and_undo(
            lambda path=path: buyer.post(path), lambda path=path: buyer.delete(path)
        )
        assert [v["display_name"] for v in answer.get_json()["viewers"]] == ["Gran"]
        for name, statements in counts.items():
            assert len(statements) <= BUDGET, (gift_id, name, statements)
            assert nothing_read_again(statements), (gift_id, name, statements)
        assert buying_statements(counts) == pinned[gift_id]


def test_a_purchase_and_its_undo_on_the_pages_stay_within_the_budget(app, family):
    gift = factories.make_gift(family.owner, family.group).id
    group = family.group.id
    someone_looks_at(app, family.other, group, gift)
    buyer = member_client(app, family.giver)
    form = {"csrf_token": csrf_token(buyer)}
    for headers in ({}, {"Turbo-Frame": f"gift_{gift}"}):  # a plain form post, and a tile's button

        def send(action: str, headers=headers):
            return buyer.post(f"/groups/{group}/gifts/{gift}/{action}", data=form, headers=headers)

        counts, _ = buy_and_undo(lambda: send("purchase"), lambda: send("unpurchase"), (303, 303))
        for name, statements in counts.items():
            assert len(statements) <= BUDGET, (headers, name, statements)
            assert nothing_read_again(statements), (headers, name, statements)
        # Besides finding the caller: the membership and group, then as through the API without
        # the viewers (the answer is a redirect).
        assert buying_statements(counts) == {"purchase": 5, "undo": 5}


def test_a_refused_purchase_in_a_tile_stays_within_the_budget(app, api, family):
    """A refusal shows the tile with the reason: the gift is read again for it (with who is
    looking), but the buyer, the group and the membership are not."""
    gift = factories.make_gift(family.owner, family.group, quantity=2).id
    group = family.group.id
    assert api(family.other).post(f"/gifts/{gift}/purchase").status_code == 200
    someone_looks_at(app, family.admin, group, gift)
    buyer = member_client(app, family.giver)
    form = {"csrf_token": csrf_token(buyer), "quantity": "2"}
    path = f"/groups/{group}/gifts/{gift}/purchase"
    buyer.post(path, data=form, headers={"Turbo-Frame": f"gift_{gift}"})
    with counting_queries() as statements:
        response = buyer.post(path, data=form, headers={"Turbo-Frame": f"gift_{gift}"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Only 1 of 2" in page and "Mum is looking" in page
    assert len(statements) <= BUDGET, statements


def test_a_gift_page_reads_the_gift_its_purchases_and_the_membership_in_one_statement(app, api, family):
    """The membership with its group, then the gift with its list, owner and every purchase: two
    statements, however many people bought a share of it (and each buyer shown once)."""
    gift = factories.make_gift(family.owner, family.group, title="Mugs", quantity=4)
    factories.make_purchase(gift, family.giver)
    factories.make_purchase(gift, family.admin, quantity=2)
    path = f"/groups/{family.group.id}/gifts/{gift.id}"
    browser = member_client(app, family.other)
    for _ in range(2):  # the login read once and remembered (piglist.auth.credentials)
        browser.get(path)
    with counting_queries() as statements:
        page = browser.get(path)
    assert page.status_code == 200
    assert len(statements) == 2, statements
    view = api(family.other).get(f"/gifts/{gift.id}").get_json()
    assert sorted(p["user"]["display_name"] for p in view["purchases"]) == ["Dad", "Mum"]
    assert view["purchased_quantity"] == 3
