"""Why a page couldn't be fetched, in words the person who typed the link understands."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch that failed. ``reason`` can be shown to the user as it is; ``transient`` says
    whether trying again later may help (timeouts, dropped connections, 5xx, 429)."""

    reason = "That page couldn't be fetched."
    transient = False

    def __init__(self, reason: str | None = None, *, transient: bool | None = None) -> None:
        if reason is not None:
            self.reason = reason
        if transient is not None:
            self.transient = transient
        super().__init__(self.reason)

    def __reduce__(self) -> tuple:
        # Keeps reason and transient when a job queue pickles the error.
        return (self.__class__, (self.reason,), {"transient": self.transient})


class InvalidUrl(FetchError):
    reason = "That doesn't look like a web address starting with http:// or https://."


class BlockedAddress(FetchError):
    reason = "That address points to a private or local network, so it can't be fetched."


class HostNotFound(FetchError):
    reason = "We couldn't find that website. Please check the address."


class ConnectionFailed(FetchError):
    reason = "We couldn't connect to that website. It may be down for a moment."
    transient = True


class TlsError(FetchError):
    reason = "That website's secure connection couldn't be verified."


class FetchTimeout(FetchError):
    reason = "That page took too long to answer."
    transient = True


class TooManyRedirects(FetchError):
    reason = "That page kept sending us to other addresses, so we gave up."


class HttpStatusError(FetchError):
    def __init__(self, status: int) -> None:
        self.status = status
        if status == 404 or status == 410:
            reason = "That page doesn't exist (any more). Please check the address."
        elif status in (401, 403):
            reason = "That website didn't let us see the page."
        elif status == 429:
            reason = "That website asked us to slow down. We'll try again later."
        elif status >= 500:
            reason = "That website had a problem answering. We'll try again later."
        else:
            reason = f"That website answered with an error (HTTP {status})."
        super().__init__(reason, transient=status >= 500 or status == 429)

    def __reduce__(self) -> tuple:
        return (self.__class__, (self.status,))


class NotHtml(FetchError):
    reason = "That link isn't a web page (it may be a file, such as a PDF or an image)."


class TooLarge(FetchError):
    reason = "That page is too large to read."


class NotAProductPage(FetchError):
    """The page arrived, but it is not the product: the shop showed something in its place.
    Trying again at once rarely helps; the owner can fill in the gift by hand."""

    reason = "That page doesn't look like a product page, so nothing could be read from it."


class CaptchaPage(NotAProductPage):
    reason = (
        "That page looks like a robot check (captcha), not a product page, so nothing could be read from it."
    )


class ConsentWall(NotAProductPage):
    reason = "That page looks like a cookie or consent notice, not a product page, so nothing could be read from it."


class MissingProductPage(NotAProductPage):
    reason = "That page says the product can't be found (it may have been removed). Please check the address."


class NotAnImage(FetchError):
    reason = "That link isn't a picture (JPEG, PNG, WebP or GIF)."


class ImageTooLarge(FetchError):
    reason = "That picture is too large (at most 5 MB)."
