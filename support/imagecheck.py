"""Check an uploaded screenshot by its content and write a clean copy.

Plain Python and Pillow, no Django. The file's name and declared type are never
trusted: the bytes must be a PNG, JPEG or WebP that Pillow reads completely,
within the size and pixel limits, with nothing but the image inside. The copy we
store is re-encoded from the decoded pixels, so EXIF (GPS included), text chunks,
ICC profiles and anything appended after the image are gone.
"""

import io
import re
import struct
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "WEBP")
ACCEPTED = gettext_lazy("Screenshots must be PNG, JPEG or WebP images.")

# Markup that makes a file an HTML/SVG/script polyglot. Seven or more bytes of
# ASCII: practically never found by chance in compressed image data.
_ACTIVE = re.compile(
    rb"<\s*(script|html|svg|body|iframe|object|embed|\?php|!doctype)|javascript:", re.IGNORECASE
)
_MARKUP_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<", re.DOTALL)


class ScreenshotError(ValueError):
    """The upload is refused; the message is shown to the user as is."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str
    width: int
    height: int


def _png_end(data: bytes) -> int:
    """Offset just after the IEND chunk; anything after it is not part of the image."""
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    raise ScreenshotError(_("This PNG file is damaged or incomplete."))


def _webp_end(data: bytes) -> int:
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


def _jpeg_end(data: bytes) -> int:
    """Offset after the EOI marker that closes the main image.

    Marker segments are skipped by their lengths (an embedded EXIF thumbnail is
    inside one), entropy-coded data by scanning for a real marker.
    """
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise ScreenshotError(_("This JPEG file is damaged or incomplete."))
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > len(data):
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: skip compressed data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= len(data):
                    raise ScreenshotError(_("This JPEG file is damaged or incomplete."))
                following = data[pos + 1]
                if following != 0 and not 0xD0 <= following <= 0xD7:
                    break
                pos += 2
    raise ScreenshotError(_("This JPEG file is damaged or incomplete."))


_ENDS = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}


def _check_trailing(data: bytes, fmt: str) -> None:
    trailing = data[_ENDS[fmt](data) :]
    if trailing.strip(b"\x00\xff\r\n\t "):
        raise ScreenshotError(
            _(
                "This file has extra data after the image (it may be two files in one), so it was refused. "
                "Take a plain screenshot and attach that."
            )
        )


def _limit(max_pixels: int) -> str:
    return _("the limit is %(size)s megapixels") % {"size": f"{max_pixels / 1_000_000:g}"}


def _open(data: bytes, max_pixels: int) -> Image.Image:
    if _MARKUP_START.match(data[:1024]):
        raise ScreenshotError(_("SVG, HTML and other text files are not accepted.") + f" {ACCEPTED}")
    if _ACTIVE.search(data):
        raise ScreenshotError(
            _(
                "This file hides web page or script content inside the image, so it was refused. "
                "Take a plain screenshot and attach that."
            )
        )
    try:
        with warnings.catch_warnings():
            # Our own check below gives the precise message; Pillow still raises past twice the limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ScreenshotError(_("This file is not an image we accept.") + f" {ACCEPTED}")
    except Image.DecompressionBombError:
        raise ScreenshotError(
            _("This image has too many pixels to open safely (%(limit)s).") % {"limit": _limit(max_pixels)}
        )
    except (OSError, SyntaxError, ValueError, struct.error):
        raise ScreenshotError(_("This file is damaged or not a real image.") + f" {ACCEPTED}")
    width, height = image.size
    # Refuse by the header's dimensions, before a single pixel is decoded.
    if width * height > max_pixels:
        raise ScreenshotError(
            _("This image is %(width)s×%(height)s pixels; %(limit)s.")
            % {"width": width, "height": height, "limit": _limit(max_pixels)}
        )
    return image


def _decode(image: Image.Image) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)  # animations: the first frame only
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScreenshotError(_("This image has too many pixels to open safely."))
    except (OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise ScreenshotError(_("This image is damaged or incomplete."))
    return upright


def _target_mode(image: Image.Image, fmt: str) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        return "L" if image.mode in ("1", "L") else "RGB"
    if fmt == "PNG" and image.mode in ("1", "L", "LA", "RGB", "RGBA"):
        return image.mode
    return "RGBA" if has_alpha else "RGB"


def _encode(image: Image.Image, fmt: str) -> bytes:
    mode = _target_mode(image, fmt)
    if image.mode != mode:
        image = image.convert(mode)
    # A fresh image from the pixels alone: no info dict, so no EXIF, ICC or text chunks.
    clean = Image.frombytes(mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90)
    elif fmt == "WEBP":
        clean.save(out, "WEBP", quality=90)
    else:
        clean.save(out, "PNG")
    return out.getvalue()


def clean_screenshot(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Validate an upload's bytes and return a re-encoded copy; raise ScreenshotError."""
    if len(data) > max_bytes:
        raise ScreenshotError(
            _("This file is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)}
        )
    if not data:
        raise ScreenshotError(_("This file is empty."))
    image = _open(data, max_pixels)
    fmt = image.format
    if fmt not in FORMATS:  # Image.open(formats=...) already ensures it; keep the rule visible
        raise ScreenshotError(str(ACCEPTED))
    _check_trailing(data, fmt)
    upright = _decode(image)
    return CleanImage(_encode(upright, fmt), fmt, upright.width, upright.height)
