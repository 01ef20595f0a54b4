"""Pill photos: a web-sized copy of the image a label ships (its SPLIMAGE), stored under the
instance media folder by a hash of its bytes (the hash is the file's address, so it can be
cached for a year and a changed photo gets a new address).

The label's file is never served as it came: it is decoded by Pillow (refusing images whose
pixel count could exhaust memory, the image form of a zip bomb), turned upright, fitted into
a fixed box on a white background (every photo has the same size on the page), and saved as
a fresh JPEG without the original's metadata.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_WIDTH, PHOTO_HEIGHT = 480, 360
MAX_SOURCE_PIXELS = 40_000_000  # a 40-megapixel label photo is already far beyond any DailyMed image
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP"}
JPEG_QUALITY = 82
PHOTO_NAME = re.compile(r"^[0-9a-f]{24}\.jpg$")


def folder_for(config: Mapping, instance_path: str) -> Path:
    """Where photos live: PILL_PHOTO_FOLDER, or media/pills in the instance folder."""
    return Path(config.get("PILL_PHOTO_FOLDER") or Path(instance_path) / "media" / "pills")


class PhotoError(ValueError):
    """An image we will not use; the message says why."""


def web_copy(data: bytes) -> bytes:
    """The JPEG we serve for a label image's bytes. Raises PhotoError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoError(f"not a photo format we use ({image.format})")
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise PhotoError(f"{width}x{height} pixels is more than any label photo; refused (possible image bomb)")
            image.draft("RGB", (PHOTO_WIDTH * 2, PHOTO_HEIGHT * 2))  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image, mask=image.getchannel("A"))
                image = flat
            else:
                image = image.convert("RGB")
            image.thumbnail((PHOTO_WIDTH, PHOTO_HEIGHT), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(f"refused as a possible image bomb ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError(f"not a readable image ({exc.__class__.__name__})") from None
    canvas = Image.new("RGB", (PHOTO_WIDTH, PHOTO_HEIGHT), "white")
    canvas.paste(image, ((PHOTO_WIDTH - image.width) // 2, (PHOTO_HEIGHT - image.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=JPEG_QUALITY)  # optimize/progressive: 2x the time for 3% smaller
    return out.getvalue()


def store(folder: Path, photo: bytes) -> str:
    """Write the photo under folder by its hash (once); returns its file name."""
    name = hashlib.sha256(photo).hexdigest()[:24] + ".jpg"
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(photo)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return name


def is_photo_name(name: str) -> bool:
    return bool(PHOTO_NAME.match(name))
