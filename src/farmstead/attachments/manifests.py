"""Asset manifests, format 2023-03-03: which files a root holds, by content hash (xxh128).

Owns: the manifest model, building one from files on disk, its canonical encoding (the bytes whose
hash is a manifest's identity: keys sorted, no whitespace, ASCII escapes, paths sorted by their
UTF-16BE encoding), decoding and checking one, and xxh128 hashing of files and bytes.
Must not: touch S3 (transfer.py) or know key names (layout.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import xxhash

VERSION = "2023-03-03"
HASH_ALG = "xxh128"
_CHUNK = 8 * 1024 * 1024


class ManifestError(Exception):
    """A manifest that is not one this format reads."""


@dataclass(frozen=True)
class ManifestPath:
    path: str  # relative to the root, POSIX separators
    hash: str
    size: int
    mtime: int  # microseconds since the epoch


@dataclass(frozen=True)
class Manifest:
    paths: tuple[ManifestPath, ...]

    @property
    def total_size(self) -> int:
        return sum(p.size for p in self.paths)


def hash_bytes(data: bytes) -> str:
    return xxhash.xxh3_128(data).hexdigest()


def hash_file(path: Path) -> str:
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build(root: Path, files: list[Path]) -> Manifest:
    """A manifest of `files` (all under `root`), hashed now."""
    entries = {}
    for file in files:
        stat = file.stat()
        relative = file.relative_to(root).as_posix()
        entries[relative] = ManifestPath(relative, hash_file(file), stat.st_size, stat.st_mtime_ns // 1000)
    return Manifest(tuple(entries.values()))


def _canonical_order(path: ManifestPath) -> bytes:
    return path.path.encode("utf-16-be", errors="surrogatepass")


def encode(manifest: Manifest) -> bytes:
    document = {
        "hashAlg": HASH_ALG, "manifestVersion": VERSION,
        "paths": [{"hash": p.hash, "mtime": p.mtime, "path": p.path, "size": p.size}
                  for p in sorted(manifest.paths, key=_canonical_order)],
        "totalSize": manifest.total_size,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode(data: bytes) -> Manifest:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestError(f"not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("manifestVersion") != VERSION:
        raise ManifestError(f"not a manifest of version {VERSION}")
    if document.get("hashAlg") != HASH_ALG:
        raise ManifestError(f"hash algorithm {document.get('hashAlg')!r} is not {HASH_ALG}")
    paths = []
    for entry in document.get("paths") or ():
        try:
            path = ManifestPath(str(entry["path"]), str(entry["hash"]), int(entry["size"]), int(entry["mtime"]))
        except (KeyError, TypeError, ValueError):
            raise ManifestError(f"bad path entry {entry!r}") from None
        if path.path.startswith("/") or ".." in path.path.split("/"):
            raise ManifestError(f"path {path.path!r} leaves its root")
        paths.append(path)
    return Manifest(tuple(paths))


def files_under(directory: Path) -> list[Path]:
    """Every regular file below `directory` (following no symlinked directories), sorted."""
    found = []
    for parent, _, names in os.walk(directory):
        found += [Path(parent) / name for name in names if (Path(parent) / name).is_file()]
    return sorted(found)
