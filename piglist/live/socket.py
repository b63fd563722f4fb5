"""One open ``/ws/groups/<gid>`` socket, from admission to its last message.

The socket's greenlet (a thread without gevent) waits on its hub subscription, where three
things arrive: the group's events (sent on if the surprise rule lets them through for this
person, as JSON or as Turbo Stream HTML), the client's messages (a small reader thread puts
them there), and the hub's RESYNC/DOWN/LEAVING/MEMBERS. It holds no Redis or database connection
while it waits.

Client → server: ``{"type": "view", "gift_id": N}``, ``{"type": "leave", "gift_id": N}``,
``{"type": "heartbeat"}`` (every ≤ 30 s; it refreshes what the socket is viewing). Anything else
is answered ``{"type": "error", "error": {code, message, field?}}`` and changes nothing. Closing the
socket ends its presence at once. Before anything is delivered or answered, and at least every
minute, the socket checks its person is still a member (piglist.live.listeners); when the group's
members change the hub sends MEMBERS and the check is made at once, against members read again, so
a person removed from the group (or leaving it, or erased) has their sockets closed with 1008 "You
are no longer a member of this group." before the group's next event, in every process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
import time
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from simple_websocket import ConnectionClosed

from ..errors import NotFound, PiglistError, ValidationFailed
from ..extensions import db
from ..models import User
from ..rules.surprise import audience, visible_event
from . import streams
from .feed import change_feed, id_key
from .hub import DOWN, LEAVING, MEMBERS, RESYNC, Broadcast, Subscription, process_hub
from .viewing import leave_gift, view_gift

log = logging.getLogger(__name__)

CHECK_SECONDS = 60  # an idle socket wakes this often to check it may still listen
MAX_VIEWING = 20  # gifts one socket may say it looks at
MAX_MESSAGES = 30  # per RATE_SECONDS from the client; more closes the socket
RATE_SECONDS = 10
GOING_AWAY, POLICY, SERVER_ERROR, RESTARTING, TRY_AGAIN = 1001, 1008, 1011, 1012, 1013
CLOSED = "closed"  # the reader thread's last word
UNAVAILABLE = "Live updates are unavailable for a moment."
NO_LONGER_A_MEMBER = "You are no longer a member of this group."


class ClientMessage:
    def __init__(self, data: Any) -> None:
        self.data = data


class LiveSocket:
    def __init__(self, ws, group_id: int, user: User, format: str) -> None:
        self.ws = ws
        self.group_id = group_id
        self.user = user
        self.user_id = user.id
        self.format = format
        self.connection = secrets.token_hex(8)
        self.viewing: set[int] = set()
        self.position = "0-0"  # the last stream entry handled, to catch up from after a RESYNC
        self.messages: list[float] = []

    def run(self, since: str | None = None) -> None:
        """Serve until the socket closes; ``since`` (a page's position) is caught up from first."""
        hub = process_hub()
        hub.socket_opened()
        subscription = hub.subscribe(self.group_id)
        try:
            if since is None:
                self.position = self._stream_end()
            else:
                # About to hand on what was published since the page's cursor: a removal committed
                # between the handshake's check and the subscription may not have reached this
                # process's hub yet. (What the hub hands on later is checked in _serve.)
                if not hub.listeners.may_listen(self.group_id, self.user_id, fresh=True):
                    self._close(POLICY, NO_LONGER_A_MEMBER)
                    return
                self.position = since
                self._catch_up()
            db.session.close()
            threading.Thread(target=self._read_client, args=(subscription,), daemon=True).start()
            self._serve(subscription)
        except RedisError as exc:
            log.warning("live socket closed, Redis unreachable: %s", exc)
            self._close(TRY_AGAIN, UNAVAILABLE)
        except Exception:
            # Closed as a socket: an HTTP error page written into an upgraded connection is garbage
            # to the browser's WebSocket. The page reconnects and catches up from its cursor.
            log.exception("live socket of group %s failed", self.group_id)
            self._close(SERVER_ERROR, "Something went wrong; the page will reconnect.")
        finally:
            subscription.close()
            self._leave_everything()
            hub.socket_closed()
            db.session.remove()

    def _stream_end(self) -> str:
        newest = [v for k, v in change_feed().marks(self.group_id).items() if k.startswith("newest:")]
        return max(newest, key=id_key, default="0-0")

    def _read_client(self, subscription: Subscription) -> None:
        try:
            while True:
                subscription.put(ClientMessage(self.ws.receive()))
        except ConnectionClosed:
            pass
        finally:
            subscription.put(CLOSED)

    def _serve(self, subscription: Subscription) -> None:
        while True:
            item = subscription.get(timeout=CHECK_SECONDS)
            if item == CLOSED:
                return
            if item == DOWN:
                self._close(TRY_AGAIN, UNAVAILABLE)
                return
            if item == LEAVING:
                self._close(RESTARTING, "The server is restarting: connect again.")
                return
            try:
                # Before anything is delivered or answered, at least every CHECK_SECONDS, and at
                # once on MEMBERS (the hub forgot the group's members first): still a member (the
                # group's members as this process read them: piglist.live.listeners).
                self._check_member()
                if item == MEMBERS:
                    continue  # the check above was all it asked for
                if item == RESYNC:
                    self._catch_up()
                elif isinstance(item, Broadcast):
                    self._deliver(item)
                elif isinstance(item, ClientMessage):
                    if not self._within_rate():
                        self._close(POLICY, "Too many messages.")
                        return
                    self._answer(item.data)
            except NotFound:
                self._close(POLICY, NO_LONGER_A_MEMBER)
                return
            except ConnectionClosed:
                return
            finally:
                # remove, not close: close would make a session for an item that used none.
                db.session.remove()

    def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            self.ws.close(code, reason)

    def _within_rate(self) -> bool:
        now = time.monotonic()
        self.messages = [t for t in self.messages if now - t < RATE_SECONDS] + [now]
        return len(self.messages) <= MAX_MESSAGES

    # --- server → client ------------------------------------------------------------------------

    def _deliver(self, broadcast: Broadcast) -> None:
        if id_key(broadcast.id) <= id_key(self.position):
            return
        self.position = broadcast.id
        event = visible_event(broadcast.event, self.user_id)
        if event is None:
            return
        if self.format == "json":
            # Written once per audience in this process, not once per socket.
            message = broadcast.once(
                ("json", audience(broadcast.event, self.user_id)), lambda: streams.as_json(event)
            )
        else:
            message = streams.render(broadcast, event)
        if message:
            self.ws.send(message)

    def _catch_up(self) -> None:
        """The subscription was (re)made: what was published meanwhile comes from the stream."""
        try:
            entries = change_feed().entries(self.group_id, self.position)
        except RedisError as exc:
            log.warning("live socket could not catch up: %s", exc)
            return
        for entry in entries:
            self._deliver(Broadcast(self.group_id, entry.id, entry.event))

    # --- client → server ------------------------------------------------------------------------

    def _answer(self, data: Any) -> None:
        try:
            self._handle(data)
        except PiglistError as exc:
            self.ws.send(json.dumps({"type": "error", **exc.to_dict()}))

    def _handle(self, data: Any) -> None:
        try:
            message = json.loads(data) if isinstance(data, str) else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise ValidationFailed('Send a JSON object such as {"type": "heartbeat"}.', "type")
        kind = message.get("type")
        if kind == "heartbeat":
            self._check_member()
            for gift_id in list(self.viewing):
                self._view(gift_id)
            return
        if kind not in ("view", "leave"):
            raise ValidationFailed("'type' must be view, leave or heartbeat.", "type")
        raw_id = message.get("gift_id")
        if not isinstance(raw_id, int) or isinstance(raw_id, bool) or raw_id < 1:
            raise ValidationFailed("'gift_id' must be a gift's id.", "gift_id")
        gift_id = raw_id
        if kind == "view":
            if gift_id not in self.viewing and len(self.viewing) >= MAX_VIEWING:
                raise ValidationFailed(f"One connection can look at {MAX_VIEWING} gifts at most.", "gift_id")
            self._view(gift_id)
        else:
            self.viewing.discard(gift_id)
            leave_gift(gift_id, self.user, self.connection, self.group_id)

    def _check_member(self) -> None:
        if not process_hub().listeners.may_listen(self.group_id, self.user_id):
            raise NotFound(NO_LONGER_A_MEMBER)

    def _view(self, gift_id: int) -> None:
        try:
            view_gift(gift_id, self.user, self.connection, self.group_id)
        except NotFound:
            self.viewing.discard(gift_id)
            raise
        self.viewing.add(gift_id)

    def _leave_everything(self) -> None:
        for gift_id in self.viewing:
            try:
                leave_gift(gift_id, self.user, self.connection, self.group_id)
            except PiglistError:
                pass  # the gift went meanwhile: nothing to leave
            except Exception:  # the socket is closing whatever happens; the sweep will tidy up
                current_app.logger.exception("leaving gift %s on close failed", gift_id)
        self.viewing.clear()
