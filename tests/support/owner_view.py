"""Everything a list's owner can ask for: the pages they can open and the API's answers to them.

The surprise rule is tested by reading all of it as the owner before and after the others buy,
look at, pledge or undo, and finding it unchanged. The surprise tests of lists, of group gifts and
of the rule itself read the same list, so that a page or path added here is checked by all of them.
"""

from __future__ import annotations


def owner_pages(app, family, gift, category) -> list[str]:
    gid, uid = family.group.id, family.owner.id
    paths = [
        f"/groups/{gid}/piglists",
        f"/groups/{gid}/piglists?member={uid}",
        f"/groups/{gid}/piglists?category={category.id}",
        f"/groups/{gid}/piglists?sort=price",
        f"/groups/{gid}/piglists?sort=-created",
        f"/groups/{gid}/piglists/{uid}",
        f"/groups/{gid}/piglists/{uid}?sort=-price",
        # The all-lists page's lazy frame of the owner's list (issue 27), with and without filters.
        f"/groups/{gid}/piglists/{uid}/frame",
        f"/groups/{gid}/piglists/{uid}/frame?sort=price",
        f"/groups/{gid}/piglists/{uid}/frame?category={category.id}",
        f"/groups/{gid}/my-piglist",
        f"/groups/{gid}/gifts/add",
        f"/groups/{gid}/gifts/{gift.id}",
        f"/groups/{gid}/gifts/{gift.id}/tile",
        f"/groups/{gid}/gifts/{gift.id}/tile?next=/groups/{gid}/my-piglist",
        f"/groups/{gid}/gifts/{gift.id}/edit",
        f"/groups/{gid}/stats",
        "/dashboard",
        "/profile",
        "/profile/export",
    ]
    if "groups.overview" in app.view_functions:
        paths.append(f"/groups/{gid}")
    return paths


def owner_answers(api, family, gift_id):
    """Everything the owner can ask the API about their list, as raw bytes."""
    owner = api(family.owner)
    gid = family.group.id
    paths = [
        f"/gifts/{gift_id}",
        f"/groups/{gid}/piglists",
        f"/groups/{gid}/piglists/{family.owner.id}",
        f"/groups/{gid}/piglists?sort=price",
        f"/groups/{gid}/stats",
        f"/groups/{gid}/changes",
        f"/groups/{gid}",
        "/groups",
    ]
    return {path: (owner.get(path).status_code, owner.get(path).get_data()) for path in paths}
