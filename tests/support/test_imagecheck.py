"""The upload attack fixtures, straight against the checker (no Django needed)."""

import io
import struct
import time
import zlib

import pytest
from PIL import Image

from support.imagecheck import ScreenshotError, clean_screenshot
from tests.staff_fixtures import image_bytes

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}

SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script>alert(document.cookie)</script></svg>"""
HTML_WITH_PNG_HEADER = b"\x89PNG\r\n\x1a\n<html><body><script>alert(document.cookie)</script></body></html>"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(side: int = 20_000) -> bytes:
    """A real PNG of side×side black pixels (400 megapixels) in a few hundred KB."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)}  # GPSInfo
    return image_bytes("JPEG", size=(80, 60), exif=exif.tobytes())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_it_accepts_png_jpeg_and_webp_and_re_encodes_them(fmt):
    clean = clean_screenshot(image_bytes(fmt), **LIMITS)
    assert clean.format == fmt and (clean.width, clean.height) == (64, 48)
    assert Image.open(io.BytesIO(clean.data)).format == fmt


@pytest.mark.parametrize(
    "data,message",
    [
        (SVG, "SVG, HTML and other text files are not accepted"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html></html>", "SVG, HTML and other text files are not accepted"),
        (HTML_WITH_PNG_HEADER, "hides web page or script content"),
        (image_bytes("PNG") + b"<html><script>alert(1)</script></html>", "hides web page or script content"),
        (image_bytes("PNG") + b"PK\x03\x04" + b"\x00" * 40, "extra data after the image"),
        (image_bytes("JPEG") + b"PK\x03\x04zipped-payload", "extra data after the image"),
        (image_bytes("GIF"), "not an image we accept"),
        (image_bytes("BMP"), "not an image we accept"),
        (b"just some text", "not an image we accept"),
        (image_bytes("PNG")[:-40], "damaged"),
        (b"", "empty"),
    ],
    ids=[
        "svg",
        "html",
        "html-png-header",
        "png-html-polyglot",
        "png-zip",
        "jpeg-zip",
        "gif",
        "bmp",
        "text",
        "truncated",
        "empty",
    ],
)
def test_it_refuses_hostile_or_foreign_files_with_a_clear_message(data, message):
    with pytest.raises(ScreenshotError, match=message):
        clean_screenshot(data, **LIMITS)


def test_it_refuses_a_decompression_bomb_before_decoding_it():
    bomb = decompression_bomb()
    assert len(bomb) < 1_000_000  # tiny on disk, 400 megapixels once decoded
    started = time.monotonic()
    with pytest.raises(ScreenshotError, match="limit is 40 megapixels|too many pixels"):
        clean_screenshot(bomb, **LIMITS)
    assert time.monotonic() - started < 2  # refused from the header, not after decoding


def test_it_keeps_pillows_own_bomb_guard_on():
    # Even with our own pixel limit out of the way, Pillow's (set from the same setting) refuses.
    with pytest.raises(ScreenshotError, match="too many pixels to open safely"):
        clean_screenshot(decompression_bomb(), max_bytes=LIMITS["max_bytes"], max_pixels=10**12)


def test_it_refuses_more_than_40_megapixels_even_when_small_on_disk():
    header_only = image_bytes("PNG", size=(8000, 5001), colour=(0, 0, 0))
    with pytest.raises(ScreenshotError, match="8000×5001 pixels; the limit is 40 megapixels"):
        clean_screenshot(header_only, **LIMITS)


def test_it_refuses_a_20_mb_file():
    big = image_bytes("PNG") + b"\x00" * (20 * 1024 * 1024)
    with pytest.raises(ScreenshotError, match="larger than 10 MB"):
        clean_screenshot(big, **LIMITS)


def test_it_strips_gps_and_all_exif_from_a_jpeg():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture really has GPS
    clean = clean_screenshot(original, **LIMITS)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "JPEG"
    assert not stored.getexif() and not stored.getexif().get_ifd(0x8825)
    assert b"Exif" not in clean.data and b"PhoneMaker" not in clean.data


def test_it_drops_png_text_chunks_and_icc_profiles():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret note from the camera")
    raw = image_bytes("PNG", pnginfo=info, icc_profile=b"\x00" * 128)
    clean = clean_screenshot(raw, **LIMITS)
    assert b"secret note" not in clean.data and b"iCCP" not in clean.data
