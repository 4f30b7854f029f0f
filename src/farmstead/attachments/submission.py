"""A submitter's side of job attachments: which local files a job needs, uploaded, and described for CreateJob.

Owns: the asset references of a submission (PATH parameters by their `dataFlow`, plus a bundle's
asset_references file), grouping them into roots (as the `deadline` CLI does: one root per LOCAL
location of the job's storage profile, named by it; none for SHARED locations, whose files the
workers reach through path mapping; and one root for the rest, the deepest directory holding all of
it), uploading each root's files and input manifest, and the `attachments` member of CreateJob.
Must not: call the Deadline API (the caller passes an S3 client with the queue role's keys).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmstead.attachments import layout, manifests, transfer


@dataclass
class AssetReferences:
    input_files: set[Path] = field(default_factory=set)
    input_directories: set[Path] = field(default_factory=set)
    output_directories: set[Path] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.input_files or self.input_directories or self.output_directories)

    def add_document(self, document: dict[str, Any], base_dir: Path) -> None:
        """An asset_references file: `assetReferences: {inputs: {filenames, directories}, outputs: {directories}}`."""
        references = (document or {}).get("assetReferences") or {}
        inputs, outputs = references.get("inputs") or {}, references.get("outputs") or {}
        self.input_files.update(_absolute(p, base_dir) for p in inputs.get("filenames") or ())
        self.input_directories.update(_absolute(p, base_dir) for p in inputs.get("directories") or ())
        self.output_directories.update(_absolute(p, base_dir) for p in outputs.get("directories") or ())

    def add_parameter(self, definition: dict[str, Any], value: str) -> None:
        """A PATH parameter's value, by its `dataFlow` (IN, OUT, INOUT; NONE or absent: not an asset)."""
        flow = str(definition.get("dataFlow", "NONE")).upper()
        if not value or "://" in value or flow not in ("IN", "OUT", "INOUT"):
            return
        path = Path(value)
        is_file = str(definition.get("objectType", "")).upper() == "FILE" or path.is_file()
        if flow in ("IN", "INOUT"):
            (self.input_files if is_file else self.input_directories).add(path)
        if flow in ("OUT", "INOUT"):
            self.output_directories.add(path.parent if is_file else path)


def _absolute(path: str, base_dir: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (base_dir / candidate).resolve()


@dataclass(frozen=True)
class Root:
    path: Path
    files: list[Path]
    output_relative_directories: list[str]
    #: The storage profile's LOCAL location this root is, if any (CreateJob's fileSystemLocationName).
    file_system_location_name: str | None = None


@dataclass(frozen=True)
class Plan:
    roots: list[Root]
    #: Inputs and output directories under a SHARED location: not uploaded, reached in place.
    shared: list[Path]


def plan(references: AssetReferences) -> Root | None:
    """The one root holding every input and output, the input files under it, and its output directories.

    Missing inputs are an error: a job should not start without what it was submitted with."""
    roots = plan_with_locations(references, ()).roots
    return roots[0] if roots else None


def plan_with_locations(references: AssetReferences, locations: Iterable[dict[str, str]]) -> Plan:
    """The roots of a submission whose storage profile has `locations` (`{name, path, type}`): each
    LOCAL location holding some of it is a root of its own; whatever lies under a SHARED location is
    left out; the rest makes one root, as `plan` does. The deepest location holding a path wins."""
    missing = sorted(str(p) for p in references.input_files | references.input_directories if not p.exists())
    if missing:
        raise FileNotFoundError(f"input path(s) not found: {', '.join(missing)}")
    files = set(references.input_files)
    for directory in references.input_directories:
        files.update(manifests.files_under(directory))
    by_depth = sorted(locations, key=lambda location: len(Path(location["path"]).parts), reverse=True)

    def location_of(path: Path) -> dict[str, str] | None:
        return next((location for location in by_depth if path.is_relative_to(location["path"])), None)

    groups: dict[str | None, tuple[set[Path], set[Path], set[Path]]] = {}  # files, input dirs, output dirs
    shared: list[Path] = []
    for index, paths in enumerate((files, references.input_directories, references.output_directories)):
        for path in paths:
            location = location_of(path)
            if location is not None and location["type"] == "SHARED":
                shared.append(path)
                continue
            groups.setdefault(location["name"] if location else None, (set(), set(), set()))[index].add(path)
    named = {location["name"]: location for location in by_depth}
    roots = []
    for name, (group_files, input_dirs, output_dirs) in sorted(groups.items(), key=lambda item: item[0] or ""):
        if name is not None:
            root = Path(named[name]["path"])
        else:
            anchors = [p.parent for p in group_files] + sorted(input_dirs | output_dirs)
            if not anchors:
                continue
            root = Path(os.path.commonpath([str(p) for p in anchors]))
        outputs = sorted({Path(os.path.relpath(d, root)).as_posix() for d in output_dirs})
        roots.append(Root(root, sorted(group_files), outputs, name))
    return Plan(roots, sorted(shared))


def upload(s3, settings: dict[str, str], farm_id: str, queue_id: str, root: Root) -> dict[str, Any]:
    """Upload the root's files and input manifest; CreateJob's `attachments` member."""
    return upload_roots(s3, settings, farm_id, queue_id, [root])


def upload_roots(s3, settings: dict[str, str], farm_id: str, queue_id: str, roots: list[Root]) -> dict[str, Any]:
    """Upload each root's files and input manifest; CreateJob's `attachments` member (one manifest per root)."""
    return {"manifests": [_upload_root(s3, settings, farm_id, queue_id, root) for root in roots],
            "fileSystem": "COPIED"}


def _upload_root(s3, settings: dict[str, str], farm_id: str, queue_id: str, root: Root) -> dict[str, Any]:
    location = transfer.Location.of(settings)
    entry: dict[str, Any] = {"rootPath": str(root.path), "rootPathFormat": "posix",
                             "outputRelativeDirectories": root.output_relative_directories}
    if root.file_system_location_name:
        entry["fileSystemLocationName"] = root.file_system_location_name
    if root.files:
        content = manifests.build(root.path, root.files)
        transfer.upload_contents(s3, location, root.path, content)
        partial = layout.input_manifest_partial(farm_id, queue_id, str(root.path))
        entry["inputManifestPath"] = partial
        entry["inputManifestHash"] = transfer.put_manifest(s3, location, layout.manifest_key(location.root_prefix,
                                                                                              partial), content)
    return entry


def download_outputs(s3, settings: dict[str, str], farm_id: str, queue_id: str, job_id: str) -> list[Path]:
    """Every task's newest outputs, written where the job's roots are on this machine; the files written."""
    location = transfer.Location.of(settings)
    keys = transfer.list_keys(s3, location, layout.job_output_prefix(location.root_prefix, farm_id, queue_id, job_id))
    written = []
    for key in layout.newest_output_manifests(keys):
        content, metadata = transfer.get_manifest(s3, location, key)
        root = layout.root_from_metadata(metadata)
        if not root:
            raise ValueError(f"output manifest {key} does not say which root it belongs to")
        written += transfer.download_contents(s3, location, content, Path(root))
    return written
