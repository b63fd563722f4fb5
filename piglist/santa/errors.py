"""The errors only a Secret Santa exchange raises; the app's one handler (piglist.errors) answers
them like every other domain error."""

from __future__ import annotations

from ..errors import PiglistError


class NoValidDraw(PiglistError):
    code, status = "no_valid_draw", 422


class AlreadyDrawn(PiglistError):
    code, status = "already_drawn", 409


class AlreadyOpened(PiglistError):
    code, status = "already_opened", 409


class NotDrawn(PiglistError):
    code, status = "not_drawn", 409
