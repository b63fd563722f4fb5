"""Pictures made with Pillow for the tests that upload or serve them (and a decompression bomb),
sent to the API as a multipart upload, and read back.

The picture tests, the access tests and the budget tests all upload a picture the same way and
open what the site serves to check its size and metadata; one ``upload`` and one ``opened`` keep
them sending the same form and reading the same bytes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


def picture_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save) -> bytes:
    from PIL import Image

    colour = (200, 30, 60, 128) if mode == "RGBA" else (200, 30, 60)
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


GPS_LATITUDE = (51.0, 30.0, 26.0)


def jpeg_bytes(size: tuple[int, int] = (64, 48), gps: bool = False) -> bytes:
    """A JPEG, with a camera's EXIF when ``gps``: make, a GPS position and a comment."""
    from PIL import Image

    extra = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PiglistCam"  # Make
        exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "W", 4: (0.0, 7.0, 39.0)}  # GPSInfo
        extra = {"exif": exif.tobytes(), "comment": b"taken at home"}
    return picture_bytes("JPEG", size, **extra)


def animated_gif_bytes(frames: int = 3) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (32, 32), (60 * n, 200 - 40 * n, 90)) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def bomb_png_bytes(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels: a decompression bomb."""
    import struct
    import zlib

    data = bytearray(picture_bytes("PNG", (8, 8)))
    # IHDR is the first chunk: length(4) type(4) width(4) height(4) …, its CRC after 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def opened(data: bytes) -> Image.Image:
    from PIL import Image

    return Image.open(io.BytesIO(data))


def upload(api, user, path, method="post", picture=None, filename="photo.jpg", **fields):
    data = {**fields, "image": (io.BytesIO(picture), filename)} if picture is not None else fields
    return api(user).call(method.upper(), path, data=data, content_type="multipart/form-data")
