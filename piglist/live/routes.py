"""``/ws/groups/<gid>``: the group's live socket (SPEC §6).

Everything is checked before the WebSocket handshake, so a refused caller gets a plain HTTP
error and never a message: who it is (the session — whose ``Origin`` must be this site, or a
cross-site page could open a socket on a member's cookie — or ``?token=``), that they are a
member, the format, the cursor the page was rendered at (``?since=``, optional: the socket
starts from there, so nothing published while the page loaded is missed), and that live updates are available (503 while Redis is unreachable).

The socket never takes permessage-deflate, though every browser offers it: compression is per
socket, so one event to a group of 5,000 would be compressed 5,000 times (50 to 130 µs each against
~15 µs to frame it plain), and each socket would keep a zlib compressor of its own once it has
sent a message (bench-live: 87.5 KiB more a socket after two events; 4.6 KiB declined). The
frames are small turbo-stream or JSON events.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_login import current_user

from ..auth import accounts
from ..errors import BadRequest, Forbidden, Unauthenticated, Unavailable, ValidationFailed
from ..extensions import sock
from ..groups.access import member_group
from . import capacity, cursors
from .hub import process_hub
from .socket import LiveSocket

bp = Blueprint("live", __name__)

FORMATS = ("turbo", "json")
WEB_SCHEMES = {"ws": "http", "wss": "https"}


def own_origin() -> str:
    scheme = WEB_SCHEMES.get(request.scheme, request.scheme)
    return f"{scheme}://{request.host}"


def socket_user():
    token = request.args.get("token")
    if token:
        found = accounts.user_for_token(token)
        if found is None:
            raise Unauthenticated("That API token is not valid (it may have been revoked).")
        # The templates read current_user; a token socket has no session to load it from.
        g._login_user = found[0]
        return found[0]
    if not current_user.is_authenticated:
        raise Unauthenticated("Log in first, or pass ?token=<your API token>.")
    if request.headers.get("Origin") != own_origin():
        raise Forbidden("This socket only opens from Piglist's own pages (or with ?token=).")
    return current_user._get_current_object()


@bp.before_request
def admit() -> None:
    user = socket_user()
    group_id = int((request.view_args or {})["group_id"])  # every route here is under <group_id>
    member_group(group_id, user)
    g.live_format = request.args.get("format", "turbo")
    if g.live_format not in FORMATS:
        raise BadRequest("'format' must be turbo (the default) or json.", "format")
    g.live_since = None
    if request.args.get("since"):
        try:
            g.live_since = cursors.unseal(group_id, request.args["since"])
        except ValueError:
            raise ValidationFailed(
                "The cursor must be one Piglist handed out for this group.", "since"
            ) from None
    if not process_hub().available:
        raise Unavailable("Live updates are unavailable for a moment; the page still works.")
    # simple-websocket accepts whatever extension the client offers, read from the environ.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    capacity.process_capacity().take()  # last: a refused socket holds nothing
    g.live_slot = True
    g.live_user = user


@bp.teardown_request
def give_back(_exc: BaseException | None) -> None:
    """The socket's request ends when the socket closes (or its handshake fails)."""
    if g.pop("live_slot", False):
        capacity.process_capacity().give_back()


@sock.route("/ws/groups/<int:group_id>", bp=bp)
def group_socket(ws, group_id: int) -> None:
    LiveSocket(ws, group_id, g.live_user, g.live_format).run(g.live_since)
