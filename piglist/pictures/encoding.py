"""Re-encoding a picture with Pillow: whatever comes in (a shop's JPEG, a phone's photo, an
animated GIF) goes out as a still WebP of at most MAX_SIDE pixels a side, built from its pixels
alone, so no EXIF (GPS position, camera, date), comment or colour profile survives.

Only JPEG, PNG, WebP and GIF are decoded, within a budget a web worker can afford (a 161 KB
PNG can describe 50 megapixels: 7 s and 760 MB to decode in full). The size in the file's header
is checked before a single pixel is decoded; a JPEG is decoded at 1/2, 1/4 or 1/8 scale
straight to about the size we keep (Pillow's ``draft``), so it may claim up to MAX_PIXELS; the
other formats decode every pixel and may claim up to MAX_FULL_DECODE_PIXELS. The decoded picture
is shrunk first, and only the shrunk copy is turned, converted and copied.
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1024
# A JPEG's pixels as its header claims them: 50 megapixels, beyond any phone's photo; decoded
# at 1/4 scale (3 MP) or less.
MAX_PIXELS = 50_000_000
# What a PNG, WebP or GIF may claim, decoded in full: a 12-megapixel phone photo (4000 × 3000)
# saved as PNG. About 0.5 s and 100 MB (WebP 150 MB) at most, where 50 MP took 7 s and 760 MB.
MAX_FULL_DECODE_PIXELS = 12_000_000
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
CONTENT_TYPE = "image/webp"
QUALITY = 85

NOT_A_PICTURE = "That file isn't a picture we can use: choose a JPEG, PNG, WebP or GIF."
TOO_LARGE = "That picture is too large: at most 5 MB, please."
TOO_MANY_PIXELS = "That picture has too many pixels to be read safely."
UNREADABLE = "That picture is damaged and can't be read."


# Decodes at once per process: each may take ~150 MB for a moment, so a burst of uploads costs
# a web process at most this many times that; the rest wait their turn.
DECODERS = 2
_decoders = threading.BoundedSemaphore(DECODERS)


class PictureRefused(ValueError):
    """Why a picture can't be used, in a sentence for the person who chose it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def key(self) -> str:
        """The content's hash: the same picture is stored and served once."""
        return hashlib.sha256(self.data).hexdigest()


def reencode(data: bytes) -> Encoded:
    """A still, upright, metadata-free WebP of the picture; raises :class:`PictureRefused`."""
    if len(data) > MAX_BYTES:
        raise PictureRefused(TOO_LARGE)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; any bomb is refused here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                cap = MAX_PIXELS if image.format == "JPEG" else MAX_FULL_DECODE_PIXELS
                if width * height > cap:
                    raise PictureRefused(TOO_MANY_PIXELS)
                image.seek(0)  # an animation's first frame
                still = _upright_pixels(_decoded_small(image))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PictureRefused(TOO_MANY_PIXELS) from None
        except UnidentifiedImageError:
            raise PictureRefused(NOT_A_PICTURE) from None
        except (OSError, SyntaxError, ValueError) as exc:
            if isinstance(exc, PictureRefused):
                raise
            raise PictureRefused(UNREADABLE) from None
    out = io.BytesIO()
    still.save(out, "WEBP", quality=QUALITY, method=4)
    return Encoded(out.getvalue(), CONTENT_TYPE, still.width, still.height)


def reencode_aside(data: bytes) -> Encoded:
    """:func:`reencode` for a web request. In a gevent worker it runs on the hub's pool of real
    threads (Pillow lets go of the GIL while it decodes and resizes), so the process keeps
    answering meanwhile: a 12-megapixel PNG held every other request of the process for 1.4 s,
    and holds none now. At most DECODERS at a time."""
    with _decoders:
        hub = _gevent_hub()
        if hub is None:
            return reencode(data)
        return hub.threadpool.apply(reencode, (data,))


def _gevent_hub():
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return None
    return get_hub() if monkey.is_module_patched("threading") else None


def _decoded_small(image: Image.Image) -> Image.Image:
    """The picture decoded and shrunk to fit MAX_SIDE (turned, a side may be either way), its
    EXIF kept (on the same image) for turning it upright. A JPEG decodes at a reduced scale; the rest in full, then
    reduced by whole factors before the fine resampling, so no full-size copy is ever made."""
    image.draft(None, (MAX_SIDE, MAX_SIDE))
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _upright_pixels(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels, turned the way the camera's EXIF says. Copying the
    pixels into a fresh image is what leaves every piece of metadata behind."""
    upright = ImageOps.exif_transpose(image) or image
    mode = "RGBA" if _has_alpha(upright) else "RGB"
    pixels = upright.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
