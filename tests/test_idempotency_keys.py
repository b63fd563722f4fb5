"""Idempotency-Key on the requests that buy or add (SPEC §10.8): a retry with the same key within
24 h gets the first answer and changes nothing; the pages' forms carry a one-time key. Hostile
cases: another request under the same key, another person's key, bad keys, copies at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from piglist.extensions import db
from piglist.models import Gift, IdempotentRequest, utcnow
from piglist.web import idempotency

from . import factories
from .support.clients import csrf_token, member_client
from .support.concurrency import run_together
from .support.rows import bought

KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def kite(app, family):
    return factories.make_gift(family.owner, family.group, title="Kite", price="5", quantity=5)


def gifts_titled(title: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Gift).where(Gift.title == title))


def buy(api, user, gift, key, **body):
    return api(user).post(f"/gifts/{gift.id}/purchase", json=body or None, headers={"Idempotency-Key": key})


def test_a_purchase_sent_again_with_its_key_gets_the_first_answer_and_buys_nothing(api, family, kite):
    first = buy(api, family.giver, kite, "k-1")
    again = buy(api, family.giver, kite, "k-1")
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert bought(kite.id) == 1
    assert buy(api, family.giver, kite, "k-2").status_code == 200  # a new key is a new purchase
    assert bought(kite.id) == 2


def test_without_a_key_each_request_counts(api, family, kite):
    for _ in range(2):
        assert api(family.giver).post(f"/gifts/{kite.id}/purchase").status_code == 200
    assert bought(kite.id) == 2


def test_an_added_gift_sent_again_with_its_key_is_added_once(api, family):
    path = f"/groups/{family.group.id}/gifts"
    body = {"title": "Scarf", "price": "12.00"}
    first = api(family.owner).post(path, json=body, headers={"Idempotency-Key": "add-scarf"})
    again = api(family.owner).post(path, json=body, headers={"Idempotency-Key": "add-scarf"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert gifts_titled("Scarf") == 1


def test_a_multipart_upload_retried_with_a_new_boundary_is_the_same_request(api, family):
    from .support.pictures import picture_bytes

    path = f"/groups/{family.group.id}/gifts"
    picture = picture_bytes()

    def send():
        import io

        return api(family.owner).post(
            path,
            data={"title": "Lamp", "image": (io.BytesIO(picture), "lamp.png")},
            content_type="multipart/form-data",
            headers={"Idempotency-Key": "add-lamp"},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201, first.get_json()
    assert gifts_titled("Lamp") == 1


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(api, family, kite):
    assert buy(api, family.giver, kite, "k-1", quantity=1).status_code == 200
    other = buy(api, family.giver, kite, "k-1", quantity=3)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert bought(kite.id) == 1


def test_a_key_is_each_persons_own(api, family, kite):
    """Someone else's key (guessed, or seen) replays nothing of theirs: it is a new request."""
    mine = buy(api, family.giver, kite, "shared-key")
    theirs = buy(api, family.other, kite, "shared-key")
    assert mine.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert bought(kite.id) == 2


def test_the_same_key_on_another_gift_is_another_request(api, family, kite):
    book = factories.make_gift(family.owner, family.group, title="Book", price="5")
    assert buy(api, family.giver, kite, "k").status_code == 200
    assert buy(api, family.giver, book, "k").status_code == 200
    assert bought(kite.id) == bought(book.id) == 1


@pytest.mark.parametrize("key", ["", "a" * 256, "has space", "tab\there", "ключ"])
def test_a_bad_key_is_refused_and_changes_nothing(app, family, kite, key):
    token = factories.token_for(family.giver)
    response = app.test_client().post(
        f"/api/v1/gifts/{kite.id}/purchase",
        headers=[("Authorization", f"Bearer {token}"), ("Idempotency-Key", key.encode().decode("latin-1"))],
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "Idempotency-Key" in response.get_json()["error"]["message"]
    assert bought(kite.id) == 0


def test_a_refusal_is_not_kept_so_the_corrected_retry_is_judged_again(api, family, kite):
    refused = buy(api, family.giver, kite, "k-1", quantity=99)
    assert refused.status_code == 409  # only 5 to buy
    assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0
    # The same request again is judged again (and refused again); nothing was stored.
    assert buy(api, family.giver, kite, "k-1", quantity=99).status_code == 409
    assert bought(kite.id) == 0
    # The corrected request under the same key buys.
    assert buy(api, family.giver, kite, "k-1", quantity=2).status_code == 200
    assert bought(kite.id) == 2


def test_a_refusal_in_a_tile_is_not_kept_either(app, family, kite):
    browser = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/gifts/{kite.id}/purchase"
    form = {"csrf_token": csrf_token(browser), "idempotency_key": "tile-key", "quantity": "99"}
    refused = browser.post(path, data=form, headers={"Turbo-Frame": f"gift_{kite.id}"})
    assert refused.status_code == 409
    assert (
        browser.post(
            path, data={**form, "quantity": "1"}, headers={"Turbo-Frame": f"gift_{kite.id}"}
        ).status_code
        == 303
    )
    assert bought(kite.id) == 1


def test_a_key_older_than_a_day_is_forgotten(api, family, kite):
    assert buy(api, family.giver, kite, "k-1").status_code == 200
    db.session.execute(update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert buy(api, family.giver, kite, "k-1").status_code == 200
    assert bought(kite.id) == 2
    assert buy(api, family.giver, kite, "k-1").headers.get("Idempotent-Replayed") == "true"


def test_housekeeping_forgets_keys_older_than_a_day(api, family, kite):
    assert buy(api, family.giver, kite, "old").status_code == 200
    assert buy(api, family.giver, kite, "new").status_code == 200
    db.session.execute(
        update(IdempotentRequest)
        .where(
            IdempotentRequest.created_at == select(func.min(IdempotentRequest.created_at)).scalar_subquery()
        )
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db.session.commit()
    assert idempotency.forget_expired() == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1


def test_copies_of_one_purchase_sent_at_once_buy_once(app, family, kite):
    """Ten copies with one key race on PostgreSQL: one buys, the others get its answer."""
    token = factories.token_for(family.giver)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "double-click"}
    path = f"/api/v1/gifts/{kite.id}/purchase"
    answers = []

    def call():
        response = app.test_client().post(path, headers=headers)
        answers.append(response.get_data())
        return response

    statuses = run_together([call] * 10)
    assert statuses == {200: 10}
    assert len(set(answers)) == 1
    assert bought(kite.id) == 1


def test_the_buy_form_carries_a_one_time_key_and_a_double_submit_buys_once(app, family, kite):
    browser = member_client(app, family.giver)
    page = browser.get(f"/groups/{family.group.id}/piglists/{family.owner.id}/frame").get_data(as_text=True)
    keys = KEY_FIELD.findall(page)
    assert keys, "no one-time key in the buy form"
    form = {"csrf_token": csrf_token(browser), "idempotency_key": keys[0], "quantity": "1"}
    path = f"/groups/{family.group.id}/gifts/{kite.id}/purchase"
    first = browser.post(path, data=form)
    again = browser.post(path, data=form)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert bought(kite.id) == 1
    # The page comes back with a new key: buying again is a new purchase.
    fresh = KEY_FIELD.findall(
        browser.get(f"/groups/{family.group.id}/piglists/{family.owner.id}/frame").get_data(as_text=True)
    )
    assert fresh and fresh[0] != keys[0]
    assert browser.post(path, data={**form, "idempotency_key": fresh[0]}).status_code == 303
    assert bought(kite.id) == 2


def test_the_same_form_key_with_another_quantity_is_refused(app, family, kite):
    browser = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/gifts/{kite.id}/purchase"
    form = {"csrf_token": csrf_token(browser), "idempotency_key": "page-key", "quantity": "1"}
    assert browser.post(path, data=form).status_code == 303
    assert browser.post(path, data={**form, "quantity": "2"}).status_code == 422
    assert bought(kite.id) == 1


def test_the_one_time_key_is_new_on_every_page_even_from_the_lists_cache(app, family, kite):
    browser = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    first = KEY_FIELD.findall(browser.get(path).get_data(as_text=True))
    second = KEY_FIELD.findall(browser.get(path).get_data(as_text=True))
    assert first and second and set(first).isdisjoint(second)


def test_the_add_form_carries_a_one_time_key_and_a_double_submit_adds_once(app, family):
    browser = member_client(app, family.owner)
    add = f"/groups/{family.group.id}/gifts/add"
    key = KEY_FIELD.search(browser.get(add).get_data(as_text=True)).group(1)
    form = {"csrf_token": csrf_token(browser), "idempotency_key": key, "title": "Teapot", "currency": "USD"}
    first = browser.post(add, data=form)
    again = browser.post(add, data=form)
    assert first.status_code == again.status_code == 303, first.get_data(as_text=True)[:500]
    assert gifts_titled("Teapot") == 1


def test_a_hostile_form_key_is_refused_and_changes_nothing(app, family, kite):
    browser = member_client(app, family.giver)
    path = f"/groups/{family.group.id}/gifts/{kite.id}/purchase"
    response = browser.post(path, data={"csrf_token": csrf_token(browser), "idempotency_key": "x" * 300})
    assert response.status_code == 400
    assert bought(kite.id) == 0
