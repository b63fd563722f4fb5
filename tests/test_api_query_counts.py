"""The API's list reads use a fixed number of SQL queries, whatever the number of gifts."""

from contextlib import contextmanager

from sqlalchemy import event

from piglist.extensions import db

from . import factories


@contextmanager
def counting_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def build_family(members: int, gifts_each: int):
    people = [factories.make_user() for _ in range(members)]
    group = factories.make_group(people[0], *people[1:])
    categories = [factories.make_category(group, name=f"Category {n}") for n in range(3)]
    for index, person in enumerate(people):
        for n in range(gifts_each):
            gift = factories.make_gift(person, group, price="5", category_id=categories[n % 3].id)
            if n % 4 == 0:
                buyer = people[(index + 1) % members]
                gift.status, gift.purchased_by_id = "purchased", buyer.id
    db.session.commit()
    return people, group


def queries_for(api, members: int, gifts_each: int, path: str) -> int:
    people, group = build_family(members, gifts_each)
    caller = api(people[1])
    caller.get(path.format(gid=group.id))  # warm up: first-request work isn't per-gift work
    with counting_queries() as statements:
        response = caller.get(path.format(gid=group.id))
    assert response.status_code == 200
    assert sum(len(p["gifts"]) for p in response.get_json()) == members * gifts_each
    return len(statements)


def test_piglists_api_uses_a_fixed_number_of_queries(app, api):
    few = queries_for(api, 8, 5, "/groups/{gid}/piglists")
    many = queries_for(api, 8, 25, "/groups/{gid}/piglists")
    assert few == many
    assert many <= 8
