"""Asset manifests (format 2023-03-03): canonical bytes, hashing, and what decoding refuses."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from farmstead.attachments import manifests
from farmstead.attachments.manifests import Manifest, ManifestError, ManifestPath
from support.official_clients import deadline_cli


def test_encoding_sorts_keys_drops_whitespace_and_totals_the_sizes():
    manifest = Manifest((ManifestPath("b.txt", "22", 2, 20), ManifestPath("a.txt", "11", 1, 10)))
    assert manifests.encode(manifest) == (
        b'{"hashAlg":"xxh128","manifestVersion":"2023-03-03","paths":['
        b'{"hash":"11","mtime":10,"path":"a.txt","size":1},{"hash":"22","mtime":20,"path":"b.txt","size":2}],'
        b'"totalSize":3}')


def test_paths_sort_by_their_utf16_encoding_not_by_code_point():
    # U+FF21 (fullwidth A) sorts after U+1F600 (an emoji, a surrogate pair 0xD83D...) in UTF-16BE,
    # though its code point is smaller.
    manifest = Manifest((ManifestPath("\uff21", "1", 1, 1), ManifestPath("\U0001f600", "2", 1, 1)))
    paths = [entry["path"] for entry in json.loads(manifests.encode(manifest))["paths"]]
    assert paths == ["\U0001f600", "\uff21"]


def test_non_ascii_paths_are_escaped_so_the_bytes_are_ascii():
    encoded = manifests.encode(Manifest((ManifestPath("szene-ü.txt", "1", 1, 1),)))
    assert b"\\u00fc" in encoded and encoded.isascii()


def test_build_hashes_files_relative_to_the_root_with_microsecond_mtimes(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.bin").write_bytes(b"content")
    os.utime(tmp_path / "sub" / "x.bin", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    (entry,) = manifests.build(tmp_path, manifests.files_under(tmp_path)).paths
    assert entry == ManifestPath("sub/x.bin", manifests.hash_bytes(b"content"), 7, 1_700_000_000_123_456)
    assert len(entry.hash) == 32


def test_file_and_byte_hashes_agree_on_large_content(tmp_path):
    data = os.urandom(9 * 1024 * 1024)  # more than one read chunk
    (tmp_path / "big").write_bytes(data)
    assert manifests.hash_file(tmp_path / "big") == manifests.hash_bytes(data)


def test_decode_reads_back_what_encode_wrote():
    manifest = Manifest((ManifestPath("a/b.txt", "ab", 5, 99),))
    assert manifests.decode(manifests.encode(manifest)) == manifest


@pytest.mark.parametrize("document, problem", [
    ({"manifestVersion": "2025-12-04-beta", "hashAlg": "xxh128", "paths": []}, "version"),
    ({"manifestVersion": "2023-03-03", "hashAlg": "md5", "paths": []}, "hash algorithm"),
    ({"manifestVersion": "2023-03-03", "hashAlg": "xxh128",
      "paths": [{"path": "../etc/passwd", "hash": "1", "size": 1, "mtime": 1}]}, "leaves its root"),
    ({"manifestVersion": "2023-03-03", "hashAlg": "xxh128",
      "paths": [{"path": "/etc/passwd", "hash": "1", "size": 1, "mtime": 1}]}, "leaves its root"),
    ({"manifestVersion": "2023-03-03", "hashAlg": "xxh128", "paths": [{"path": "a"}]}, "bad path entry"),
])
def test_decode_refuses_other_versions_algorithms_and_escaping_paths(document, problem):
    with pytest.raises(ManifestError, match=problem):
        manifests.decode(json.dumps(document).encode())


@pytest.mark.official_clients
def test_encoding_matches_the_official_libraries_byte_for_byte():
    bin_dir = deadline_cli().parent
    manifest = Manifest((ManifestPath("z/ü.txt", "ff", 3, 7), ManifestPath("\uff21", "aa", 1, 2),
                         ManifestPath("\U0001f600", "bb", 2, 5)))
    program = (
        "import json,sys\n"
        "from deadline.job_attachments.asset_manifests.decode import decode_manifest\n"
        "from deadline.job_attachments.asset_manifests.hash_algorithms import hash_data, HashAlgorithm\n"
        "m = decode_manifest(sys.stdin.read())\n"
        "text = m.encode()\n"
        "print(json.dumps([text, hash_data(text.encode(), HashAlgorithm.XXH128)]))\n")
    done = subprocess.run([str(bin_dir / "python"), "-c", program], input=manifests.encode(manifest).decode(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text, digest = json.loads(done.stdout)
    assert text.encode() == manifests.encode(manifest)
    assert digest == manifests.hash_bytes(manifests.encode(manifest))
