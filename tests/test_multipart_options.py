"""Issue 22, finding 9: a lone surrogate in a multipart request's ``options`` (a value or a key,
adding or editing) is refused with 422 like the same JSON body, never a 500, and changes
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift

from . import factories

HOSTILE = [r'{"a": "\ud800"}', r'{"\udfff": "M"}', r'{"size": {"\ud83d": "x"}}', r'{"a": "ok\udc00ok"}']


def multipart(api, user, method, path, **fields):
    return api(user).call(method, path, data=fields, content_type="multipart/form-data")


def assert_refused(response) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["field"].startswith("options")
    assert "can't be stored" in error["message"] or "short text" in error["message"]


@pytest.mark.parametrize("options", HOSTILE)
def test_adding_with_a_lone_surrogate_in_multipart_options_is_422(api, family, options):
    response = multipart(
        api, family.owner, "POST", f"/groups/{family.group.id}/gifts", title="K", options=options
    )
    assert_refused(response)
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 0
    # The same body as JSON gets the same answer.
    as_json = api(family.owner).call(
        "POST",
        f"/groups/{family.group.id}/gifts",
        data='{"title": "K", "options": ' + options + "}",
        headers={"Content-Type": "application/json"},
    )
    assert as_json.status_code == 422


@pytest.mark.parametrize("options", HOSTILE)
def test_editing_with_a_lone_surrogate_in_multipart_options_is_422(api, family, options):
    gift = factories.make_gift(family.owner, family.group, options={"size": "M"})
    before = api(family.owner).get(f"/gifts/{gift.id}").get_data()
    assert_refused(multipart(api, family.owner, "PATCH", f"/gifts/{gift.id}", options=options))
    assert api(family.owner).get(f"/gifts/{gift.id}").get_data() == before


def test_ordinary_multipart_options_still_work(api, family):
    response = multipart(
        api,
        family.owner,
        "POST",
        f"/groups/{family.group.id}/gifts",
        title="K",
        options='{"size": "\\u00e9"}',
    )
    assert response.status_code == 201 and response.get_json()["options"] == {"size": "é"}
