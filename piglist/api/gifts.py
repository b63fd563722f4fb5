"""Piglists, gifts, buying, the change feed and stats in the API. Every gift goes out through
the surprise rule (piglist.rules.surprise)."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request

from piglist.scraping import service as scraping
from piglist.web.idempotency import idempotent
from piglist.web.inputs import check_decoded_json

from ..errors import BadRequest, ValidationFailed
from ..gifts import buying, edits, fields, listcache, reading, releasing
from ..gifts.reading import PiglistView
from ..groups.access import admin_group
from ..live.changes import parse_wait, wait_for_changes
from ..pictures.uploads import accepts_picture
from ..rules.values import parse_web_url
from .access import api_user, json_body, optional_json_body, token_or_session_required
from .blueprint import bp


def piglist_dict(view: PiglistView) -> dict:
    return {
        "user": None if view.user is None else {"id": view.user.id, "display_name": view.user.display_name},
        "gifts": view.gifts,
        "totals": view.totals,
    }


@bp.get("/groups/<int:group_id>/piglists")
@token_or_session_required
def list_piglists(group_id: int):
    filters = fields.parse_list_filters(request.args)
    viewer = api_user()
    group, members = reading.group_and_members(group_id, viewer)
    body = listcache.lists_json(
        group, viewer, filters, ("api", tuple(sorted(filters.items()))), piglist_dict, members
    )
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/groups/<int:group_id>/piglists/<int:user_id>")
@token_or_session_required
def get_piglist(group_id: int, user_id: int):
    filters = fields.parse_list_filters(request.args)
    return piglist_dict(reading.one_piglist(group_id, user_id, api_user(), filters))


def gift_body() -> tuple[dict[str, Any], bytes | None]:
    """A gift's fields and an uploaded picture: a JSON object, or multipart/form-data whose
    ``image`` part is the picture and whose other parts are the fields (``options`` as JSON)."""
    if request.mimetype != "multipart/form-data":
        return json_body(), None
    data: dict[str, Any] = request.form.to_dict()
    if "options" in data:
        try:
            data["options"] = json.loads(data["options"]) if data["options"].strip() else None
        except ValueError:
            raise ValidationFailed('The options must be JSON such as {"size": "M"}.', "options") from None
        check_decoded_json(data["options"], "options")
    upload = request.files.get("image")
    if upload is None and request.files:
        raise BadRequest("Send the picture in a part named 'image'.")
    return data, (upload.read() if upload is not None else None)


@bp.post("/groups/<int:group_id>/gifts")
@accepts_picture
@token_or_session_required
@idempotent
def add_gift(group_id: int):
    data, picture = gift_body()
    gift = edits.add_gift(group_id, api_user(), data, picture)
    return reading.gift_view(gift.id, api_user()), 201


@bp.get("/gifts/<int:gift_id>")
@token_or_session_required
def get_gift(gift_id: int):
    return reading.gift_view(gift_id, api_user())


@bp.patch("/gifts/<int:gift_id>")
@accepts_picture
@token_or_session_required
def update_gift(gift_id: int):
    data, picture = gift_body()
    edits.update_gift(gift_id, api_user(), data, picture=picture)
    return reading.gift_view(gift_id, api_user())


@bp.delete("/gifts/<int:gift_id>")
@token_or_session_required
def delete_gift(gift_id: int):
    edits.delete_gift(gift_id, api_user())
    return "", 204


@bp.post("/gifts/<int:gift_id>/purchase")
@token_or_session_required
@idempotent
def purchase(gift_id: int):
    quantity = optional_json_body().get("quantity")
    return reading.view_of(buying.purchase(gift_id, api_user(), quantity), api_user())


@bp.delete("/gifts/<int:gift_id>/purchase")
@token_or_session_required
def unpurchase(gift_id: int):
    # The gift as it is now, even when undoing made a removed gift vanish from the buyer's lists.
    return reading.view_of(buying.unpurchase(gift_id, api_user()), api_user())


@bp.get("/groups/<int:group_id>/changes")
@token_or_session_required
def changes(group_id: int):
    if "viewing" in request.args:
        # A GET changes nothing: a cross-site link must not make anyone "look" at a gift.
        raise BadRequest(
            'Looking at a gift is not recorded by a GET: send {"type": "view"} on the WebSocket.',
            "viewing",
        )
    wait = parse_wait(request.args.get("wait"))
    return wait_for_changes(group_id, api_user(), request.args.get("since"), wait)


@bp.get("/groups/<int:group_id>/stats")
@token_or_session_required
def stats(group_id: int):
    return reading.group_stats(group_id, api_user())


@bp.post("/scrape")
@token_or_session_required
def scrape():
    url = parse_web_url(json_body().get("url"), "url", required=True)
    return {"job_id": scraping.start_preview(api_user(), url)}, 202


@bp.get("/scrape/<job_id>")
@token_or_session_required
def scrape_status(job_id: str):
    return scraping.preview_status(api_user(), job_id, parse_wait(request.args.get("wait")))


@bp.delete("/groups/<int:group_id>/purchases/<int:user_id>")
@token_or_session_required
def release_purchases(group_id: int, user_id: int):
    """An admin makes the gifts a departed member bought available again (SPEC §9)."""
    admin = api_user()
    group = admin_group(group_id, admin)
    return {"released": releasing.release_purchases(group, admin, user_id)}
