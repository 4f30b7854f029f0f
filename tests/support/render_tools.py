"""Blender and ffmpeg for the render tests: finding them, rendering reference frames, comparing frames
and reading a movie's frame count and duration.

Debian's `blender` (3.4) and `ffmpeg` are installed by `make test` when it runs as root with apt-get
(Makefile `render-tools`); elsewhere the tests that need them skip and say why.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "blender-turntable"
#: What the tests render: a few frames of a tiny image with few samples, so a frame takes about a second
#: (most of it Blender starting) and the whole render stays cheap on 2 cores.
TINY = {"Width": "64", "Height": "36", "Samples": "4", "TurntableFrames": "8", "Fps": "4"}
#: Below this, a frame rendered on a worker is not "the same" as the local one (if Cycles is not
#: bit-deterministic on some machine); here the pixels come out identical.
MIN_PSNR_DB = 40.0


def require_render_tools() -> None:
    missing = [tool for tool in ("blender", "ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: apt-get install blender ffmpeg; `make test` "
                    "installs them when it runs as root)")


def parameters(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("-p", f"{name}={value}")]


def render_reference(directory: Path, frames: list[int], settings: dict[str, str] = TINY) -> dict[int, Path]:
    """The frames as a local loop of `blender -b scene.blend -f N` renders them, from the example's scene script
    with the same settings; {frame: png}."""
    scene = directory / "scene" / "turntable.blend"
    subprocess.run(["blender", "-b", "--factory-startup", "--python", str(EXAMPLE / "scene" / "make_scene.py"), "--",
                    str(scene), "--width", settings["Width"], "--height", settings["Height"],
                    "--samples", settings["Samples"], "--frames", settings["TurntableFrames"]],
                   check=True, capture_output=True, timeout=120)
    for frame in frames:
        subprocess.run(["blender", "-b", str(scene), "-o", str(directory / "frames" / "frame_####"), "-F", "PNG",
                        "-f", str(frame)], check=True, capture_output=True, timeout=120)
    return {frame: directory / "frames" / f"frame_{frame:04d}.png" for frame in frames}


def pixels_digest(png: Path) -> str:
    """sha256 of the decoded RGB pixels: PNG files of the same pixels differ in their metadata chunks."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(png), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True, timeout=60).stdout
    return hashlib.sha256(raw).hexdigest()


def psnr(first: Path, second: Path) -> float:
    """ffmpeg's PSNR of two images in dB (math.inf when identical)."""
    done = subprocess.run(["ffmpeg", "-v", "info", "-i", str(first), "-i", str(second), "-lavfi", "psnr", "-f", "null",
                           "-"], capture_output=True, text=True, timeout=60)
    found = re.search(r"average:(\S+)", done.stderr)
    assert found, done.stderr
    return math.inf if found.group(1) == "inf" else float(found.group(1))


def assert_same_frames(rendered: dict[int, Path], reference: dict[int, Path]) -> None:
    """Each frame identical in its pixels to the local render, or at least MIN_PSNR_DB close."""
    for frame, png in sorted(reference.items()):
        assert rendered[frame].exists(), f"frame {frame} was not brought back"
        if pixels_digest(rendered[frame]) != pixels_digest(png):
            measured = psnr(rendered[frame], png)
            assert measured >= MIN_PSNR_DB, f"frame {frame}: PSNR {measured:.1f} dB against the local render"


def probe_movie(movie: Path) -> tuple[int, float]:
    """(frames, duration in seconds) of the movie's video stream, as ffprobe counts them."""
    done = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                           "stream=nb_read_frames,duration", "-of", "json", str(movie)],
                          check=True, capture_output=True, text=True, timeout=60)
    stream = json.loads(done.stdout)["streams"][0]
    return int(stream["nb_read_frames"]), float(stream["duration"])
