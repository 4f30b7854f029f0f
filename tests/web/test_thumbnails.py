"""Thumbnails (web/thumbnails.py): PNG, JPEG and EXR made small JPEGs within bounds, an EXR's linear light
through the sRGB curve, and a clear refusal for what makes no preview."""

from __future__ import annotations

import io

import numpy
import OpenImageIO as oiio
import pytest
from PIL import Image

from farmstead.web.thumbnails import SIZE, NoPreview, can_preview, thumbnail


def encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def exr(tmp_path, pixels: numpy.ndarray) -> bytes:
    height, width, channels = pixels.shape
    path = str(tmp_path / "frame.exr")
    out = oiio.ImageOutput.create(path)
    assert out.open(path, oiio.ImageSpec(width, height, channels, "half"))
    assert out.write_image(pixels.astype(numpy.float32))
    out.close()
    return open(path, "rb").read()


def decoded(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return image


def test_a_large_png_becomes_a_jpeg_no_larger_than_the_thumbnail_size_keeping_its_shape():
    image = decoded(thumbnail(encoded(Image.new("RGB", (1920, 1080), (200, 30, 30)), "PNG"), "beauty.0001.png"))
    assert image.size == (SIZE, 270)
    assert image.getpixel((10, 10))[0] > 180


def test_a_jpeg_and_a_small_image_keep_their_size_when_smaller():
    image = decoded(thumbnail(encoded(Image.new("RGB", (64, 32), (0, 0, 255)), "JPEG"), "x.JPG"))
    assert image.size == (64, 32)


def test_transparency_is_shown_over_dark_grey():
    image = decoded(thumbnail(encoded(Image.new("RGBA", (16, 16), (255, 255, 255, 0)), "PNG"), "a.png"))
    assert max(image.getpixel((8, 8))) < 60


def test_an_exr_is_shown_through_the_srgb_curve(tmp_path):
    pixels = numpy.zeros((200, 400, 3), dtype=numpy.float32)
    pixels[:, :200] = 0.18   # middle grey in linear light: about 118 in sRGB
    pixels[:, 200:] = 4.0    # over white: clipped
    image = decoded(thumbnail(exr(tmp_path, pixels), "beauty.0001.exr"))
    assert image.size == (400, 200)
    assert 110 <= image.getpixel((50, 100))[0] <= 126
    assert image.getpixel((350, 100))[0] >= 250


def test_an_exr_with_alpha_and_one_larger_than_the_thumbnail(tmp_path):
    pixels = numpy.ones((600, 1200, 4), dtype=numpy.float32)
    pixels[..., 3] = 0.0
    image = decoded(thumbnail(exr(tmp_path, pixels), "a.exr"))
    assert image.size == (SIZE, 240) and max(image.getpixel((5, 5))) < 60


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"not an image at all", "frame.png", "not an image"),
    (b"\x00" * 100, "frame.exr", "not an EXR"),
    (b"whatever", "scene.abc", "no preview for .abc files"),
])
def test_what_makes_no_preview_says_why(data, name, reason):
    with pytest.raises(NoPreview, match=reason):
        thumbnail(data, name)


def test_which_names_make_previews():
    assert [n for n in ("a.PNG", "b.exr", "c.tif", "d.abc", "e", "f.jpeg") if can_preview(n)] == \
        ["a.PNG", "b.exr", "c.tif", "f.jpeg"]
