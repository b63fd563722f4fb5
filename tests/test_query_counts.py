"""The list pages read a fixed number of rows' worth of queries, whatever the number of gifts, and
no more than the README's budget: 8 per page or API call."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from piglist.extensions import db
from piglist.models import Gift, Piglist, Purchase

from . import factories
from .conftest import member_client, post_form

MEMBERS = 8
BUDGET = 8  # README, Performance


@contextmanager
def counting_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


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
        "piglists": f"/groups/{group.id}/piglists",
        "sorted": f"/groups/{group.id}/piglists?sort=-price",
        "one piglist": f"/groups/{group.id}/piglists/{people[2].id}",
        "my piglist": f"/groups/{group.id}/my-piglist",
    }
    counts = {}
    for name, path in paths.items():
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


def api_queries_for(api, gifts_each: int) -> int:
    group, people = build_group(gifts_each)
    reader = api(people[1])
    path = f"/groups/{group.id}/piglists"
    reader.get(path)  # warm up: first-request work isn't per-gift work
    with counting_queries() as statements:
        response = reader.get(path)
    assert response.status_code == 200
    assert sum(len(p["gifts"]) for p in response.get_json()) == MEMBERS * gifts_each
    return len(statements)


def test_the_piglists_api_uses_the_same_number_of_queries_for_5_or_70_gifts_each(app, api):
    small = api_queries_for(api, 5)
    assert api_queries_for(api, 70) == small
    assert small <= BUDGET
