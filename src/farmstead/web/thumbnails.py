"""Thumbnails of rendered frames: PNG, JPEG and TIFF through Pillow, OpenEXR through OpenImageIO (both from
PyPI, pinned in pyproject.toml), each made a JPEG of at most `SIZE` pixels a side.

Owns: decoding an image's bytes within bounds, and its look: an EXR's linear light is shown through the sRGB
curve, clipped to 0-1 (what a compositor shows by default), alpha over a dark grey. Bounds: at most
`MAX_PIXELS` pixels (checked from the header before anything is decoded), a JPEG decoded at a reduced
scale (Pillow's draft mode), an EXR read from its smallest MIP level that is still larger than the
thumbnail, or with every n-th pixel of its full one.
Must not: fetch anything; previews.py hands in the bytes and a file name.
"""

from __future__ import annotations

import io
import os
import tempfile

from PIL import Image

SIZE = 480
MAX_PIXELS = 100_000_000
#: The file types a preview is made of, by the extension of the output's name.
PILLOW = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
OPENIMAGEIO = (".exr",)
PREVIEWABLE = PILLOW + OPENIMAGEIO


class NoPreview(Exception):
    """This file makes no preview (a format not read, or beyond the bounds); the message says why."""


def can_preview(name: str) -> bool:
    return os.path.splitext(name.lower())[1] in PREVIEWABLE


def thumbnail(data: bytes, name: str) -> bytes:
    """A JPEG of at most SIZE x SIZE pixels of the image in `data` (named `name`)."""
    extension = os.path.splitext(name.lower())[1]
    if extension in PILLOW:
        image = _pillow(data)
    elif extension in OPENIMAGEIO:
        image = _openexr(data)
    else:
        raise NoPreview(f"no preview for {extension or 'this'} files")
    image.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (40, 40, 40, 255))
        image = Image.alpha_composite(background, rgba)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def _pillow(data: bytes) -> Image.Image:
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001 - Pillow raises several kinds for a file it can't read
        raise NoPreview(f"not an image Pillow reads ({type(err).__name__})") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise NoPreview(f"{width} x {height} pixels is more than a preview decodes")
    image.draft("RGB", (SIZE, SIZE))  # a JPEG decodes at 1/2, 1/4 or 1/8 scale when that is still big enough
    try:
        image.load()
    except Exception as err:  # noqa: BLE001
        raise NoPreview(f"the image could not be decoded ({type(err).__name__})") from None
    if image.mode in ("I;16", "I;16B", "I", "F"):
        image = image.point(lambda value: value / 256).convert("L")
    return image


def _openexr(data: bytes) -> Image.Image:
    try:
        import numpy
        import OpenImageIO as oiio
    except ImportError:
        raise NoPreview("no preview for EXR files: OpenImageIO is not installed") from None
    # OpenImageIO reads EXR from a file: the bytes go to a private temporary file, removed at once.
    with tempfile.NamedTemporaryFile(suffix=".exr") as handle:
        handle.write(data)
        handle.flush()
        source = oiio.ImageInput.open(handle.name)
        if source is None:
            raise NoPreview(f"not an EXR OpenImageIO reads: {oiio.geterror()[:200]}")
        try:
            spec = source.spec()
            if spec.width * spec.height > MAX_PIXELS:
                raise NoPreview(f"{spec.width} x {spec.height} pixels is more than a preview decodes")
            level, spec = _smallest_level(source, spec)
            pixels = source.read_image(0, level, 0, min(spec.nchannels, 4), "float")
        finally:
            source.close()
    if pixels is None:
        raise NoPreview("the EXR could not be decoded")
    pixels = numpy.asarray(pixels, dtype=numpy.float32).reshape(spec.height, spec.width, -1)
    step = max(1, min(spec.width, spec.height) // (2 * SIZE))
    pixels = pixels[::step, ::step]  # a full-size level: every step-th pixel, Lanczos does the rest
    channels = pixels.shape[2]
    colour = pixels[..., :3] if channels >= 3 else numpy.repeat(pixels[..., :1], 3, axis=2)
    colour = numpy.nan_to_num(colour, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
    srgb = numpy.where(colour <= 0.0031308, colour * 12.92, 1.055 * numpy.power(colour, 1 / 2.4) - 0.055)
    rgb = (srgb * 255 + 0.5).astype(numpy.uint8)
    if channels == 4 or channels == 2:
        alpha = (pixels[..., -1].clip(0.0, 1.0) * 255 + 0.5).astype(numpy.uint8)
        return Image.fromarray(numpy.dstack([rgb, alpha]), "RGBA")
    return Image.fromarray(numpy.ascontiguousarray(rgb), "RGB")


def _smallest_level(source, spec):
    """The MIP level with the fewest pixels that is still at least SIZE on its short side (0 if none)."""
    level, chosen = 0, spec
    while source.seek_subimage(0, level + 1):
        candidate = source.spec()
        if min(candidate.width, candidate.height) < SIZE:
            break
        level, chosen = level + 1, candidate
    source.seek_subimage(0, level)
    return level, chosen
