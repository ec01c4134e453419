"""Cover art: any common image in, three square JPEG sizes out (Pillow)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from audio.errors import ImageRejected

SIZES = {"large": 1200, "medium": 600, "small": 300}
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"}
MAX_PIXELS = 50_000_000  # refuses decompression bombs long before they eat the worker's memory


def cover_renditions(data: bytes) -> dict[str, bytes]:
    """Square-crop the image around its centre and encode each of ``SIZES`` as JPEG.

    Raises ``ImageRejected`` for data that is not an image we accept. A cover smaller than a
    size is not enlarged: that size is then the image's own.
    """
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ImageRejected(f"Cover art must be JPEG, PNG or WebP, not {probe.format}.")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRejected("The cover image is too large (over 50 megapixels).")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("The cover art is not an image we can read.") from None

    rgb = ImageOps.exif_transpose(image).convert("RGB")
    side = min(rgb.size)
    square = ImageOps.fit(rgb, (side, side), method=Image.Resampling.LANCZOS)
    out = {}
    for name, size in SIZES.items():
        target = min(size, side)
        resized = square if target == side else square.resize((target, target), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
        out[name] = buffer.getvalue()
    return out
