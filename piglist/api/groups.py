"""Groups, membership and categories in the API."""

from __future__ import annotations

from ..groups import access, categories, joining, lifecycle, members
from ..models import Group
from ..rules.lock import is_frozen
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp


def group_json(group: Group) -> dict:
    return {**group.to_dict(), "locked": is_frozen(group)}


def group_details(group: Group) -> dict:
    return {
        **group_json(group),
        "members": [m.to_dict() for m in access.group_members(group)],
        "categories": [c.to_dict() for c in group.categories],
    }


@bp.get("/groups")
@token_or_session_required
def list_groups():
    return [
        {**group_json(group), "role": member.role, "member_count": count}
        for group, member, count in access.user_groups(api_user())
    ]


@bp.post("/groups")
@token_or_session_required
def create_group():
    group = lifecycle.create_group(api_user(), json_body())
    return group_details(group), 201


@bp.post("/groups/join")
@token_or_session_required
def join_group():
    group, _ = joining.join_group(api_user(), json_body().get("invite_code"))
    return group_details(group)


@bp.get("/groups/<int:group_id>")
@token_or_session_required
def get_group(group_id: int):
    return group_details(access.member_group(group_id, api_user()))


@bp.patch("/groups/<int:group_id>")
@token_or_session_required
def update_group(group_id: int):
    group = access.admin_group(group_id, api_user())
    return group_details(lifecycle.update_group(group, json_body()))


@bp.delete("/groups/<int:group_id>")
@token_or_session_required
def delete_group(group_id: int):
    user = api_user()
    lifecycle.delete_group(access.admin_group(group_id, user), user)
    return "", 204


@bp.post("/groups/<int:group_id>/invite")
@token_or_session_required
def regenerate_invite(group_id: int):
    group = access.admin_group(group_id, api_user())
    return {"invite_code": joining.regenerate_invite(group)}


@bp.patch("/groups/<int:group_id>/members/<int:user_id>")
@token_or_session_required
def set_member_role(group_id: int, user_id: int):
    group = access.admin_group(group_id, api_user())
    return members.set_role(group, user_id, json_body().get("role")).to_dict()


@bp.delete("/groups/<int:group_id>/members/<int:user_id>")
@token_or_session_required
def remove_member(group_id: int, user_id: int):
    user = api_user()
    members.remove_member(access.member_group(group_id, user), user, user_id)
    return "", 204


@bp.post("/groups/<int:group_id>/categories")
@token_or_session_required
def create_category(group_id: int):
    group = access.admin_group(group_id, api_user())
    return categories.create_category(group, json_body()).to_dict(), 201


@bp.patch("/groups/<int:group_id>/categories/<int:category_id>")
@token_or_session_required
def update_category(group_id: int, category_id: int):
    group = access.admin_group(group_id, api_user())
    return categories.update_category(group, category_id, json_body()).to_dict()


@bp.delete("/groups/<int:group_id>/categories/<int:category_id>")
@token_or_session_required
def delete_category(group_id: int, category_id: int):
    group = access.admin_group(group_id, api_user())
    categories.delete_category(group, category_id)
    return "", 204
