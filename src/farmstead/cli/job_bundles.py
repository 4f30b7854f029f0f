"""Reading what `farmstead submit` is given: an OpenJD template file or a job bundle directory.

Owns: finding the template (`template.json|yaml|yml`) and parameter values
(`parameter_values.json|yaml|yml`, `parameterValues: [{name, value}]`) of a bundle, the
`deadline:*` submission settings a bundle may carry as parameter values, its asset_references
document (read here, used for job attachments by submit.py), and typing NAME=VALUE
strings into the API's JobParameter union by the template's parameter definitions.
Must not: call the API, or re-validate what the server validates (constraints, required values,
the template itself): the server's error names the parameter, and the command prints it.

PATH values are made absolute as the `deadline` CLI makes them: a command-line value against the
current directory, a bundle file's value against the bundle directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}
# Submission settings a bundle's parameter_values may carry (the deadline CLI's names) -> CreateJob member.
SUBMISSION_SETTINGS = {
    "deadline:priority": ("priority", int),
    "deadline:targetTaskRunStatus": ("targetTaskRunStatus", str),
    "deadline:maxFailedTasksCount": ("maxFailedTasksCount", int),
    "deadline:maxRetriesPerTask": ("maxRetriesPerTask", int),
    "deadline:maxWorkerCount": ("maxWorkerCount", int),
}
_SCALAR_MEMBERS = {"INT": "int", "FLOAT": "float", "STRING": "string", "PATH": "path", "BOOL": "bool",
                   "RANGE_EXPR": "rangeExpr"}
_LIST_MEMBERS = {"LIST[STRING]": "stringList", "LIST[PATH]": "pathList", "LIST[INT]": "intList",
                 "LIST[FLOAT]": "floatList", "LIST[BOOL]": "boolList", "LIST[LIST[INT]]": "intListList"}


class BundleError(Exception):
    """The input can't be submitted; the message says why, for a person."""


@dataclass
class Submission:
    template_text: str
    template_type: str
    definitions: dict[str, dict]
    """The template's parameterDefinitions by name."""
    bundle_values: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    base_dir: Path = Path(".")
    #: The bundle's asset_references document (job attachments; docs/attachments.md), if it has one.
    asset_references: dict[str, Any] = field(default_factory=dict)


def load(path: Path) -> Submission:
    path = Path(path)
    if path.is_dir():
        return _load_bundle(path)
    if not path.exists():
        raise BundleError(f"{path} does not exist")
    return _load_template(path)


def _find(directory: Path, stem: str) -> Path | None:
    found = [directory / f"{stem}{suffix}" for suffix in _SUFFIXES if (directory / f"{stem}{suffix}").exists()]
    if len(found) > 1:
        raise BundleError(f"{directory} has more than one {stem} file: {', '.join(p.name for p in found)}")
    return found[0] if found else None


def _load_bundle(directory: Path) -> Submission:
    template = _find(directory, "template")
    if template is None:
        raise BundleError(f"{directory} is not a job bundle: it has no template.json or template.yaml")
    submission = _load_template(template)
    submission.base_dir = directory
    values_file = _find(directory, "parameter_values")
    if values_file is not None:
        document = _parse(values_file)
        entries = document.get("parameterValues") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "name" in e and "value" in e
                                                    for e in entries):
            raise BundleError(f"{values_file}: expected `parameterValues: [{{name, value}}, …]`")
        for entry in entries:
            name, value = str(entry["name"]), entry["value"]
            if name in SUBMISSION_SETTINGS:
                member, kind = SUBMISSION_SETTINGS[name]
                try:
                    submission.settings[member] = kind(value)
                except (TypeError, ValueError):
                    raise BundleError(f"{values_file}: {name} must be {'a whole number' if kind is int else 'text'}, "
                                      f"not {value!r}") from None
            elif ":" in name and name not in submission.definitions:
                # Another tool's setting (e.g. a submitter's own `vendor:name`): not ours to send.
                submission.notes.append(f"ignored {name} from {values_file.name} (not a job parameter)")
            else:
                submission.bundle_values[name] = value
    references = _find(directory, "asset_references")
    if references is not None:
        document = _parse(references)
        if not isinstance(document, dict):
            raise BundleError(f"{references}: expected `assetReferences: {{inputs: …, outputs: …}}`")
        submission.asset_references = document
    return submission


def _load_template(path: Path) -> Submission:
    template_type = _SUFFIXES.get(path.suffix.lower())
    if template_type is None:
        raise BundleError(f"{path}: a job template ends in .json, .yaml or .yml")
    document = _parse(path)
    if not isinstance(document, dict):
        raise BundleError(f"{path} is not a job template (expected a mapping at the top)")
    definitions = {}
    for definition in document.get("parameterDefinitions") or ():
        if isinstance(definition, dict) and "name" in definition:
            definitions[str(definition["name"])] = definition
    text = path.read_text()
    if template_type == "YAML" and text.lstrip().startswith("{"):
        # JSON is YAML too, but the server takes a document as the kind it is.
        try:
            json.loads(text)
            template_type = "JSON"
        except ValueError:
            pass
    return Submission(text, template_type, definitions, base_dir=path.parent)


def _parse(path: Path) -> Any:
    text = path.read_text()
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BundleError(f"{path} can't be read: {exc}") from None


def split_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise BundleError(f"-p takes NAME=VALUE, not {text!r}")
    return name.strip(), value


def api_value(name: str, value: Any, definition: dict | None, base_dir: Path) -> dict:
    """One parameter in the API's union form, typed by its definition; a bad value is BundleError."""
    if definition is None:
        raise BundleError(f"unknown parameter {name}")
    declared = str(definition.get("type", "STRING")).upper()
    if declared in _LIST_MEMBERS:
        return {_LIST_MEMBERS[declared]: _list_value(name, declared, value, base_dir)}
    member = _SCALAR_MEMBERS.get(declared)
    if member is None:
        raise BundleError(f"parameter {name} has type {declared}, which this command can't send")
    return {member: _scalar(name, declared, value, base_dir)}


def _scalar(name: str, declared: str, value: Any, base_dir: Path) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if declared == "INT":
        try:
            int(text.strip())
        except ValueError:
            raise BundleError(f"parameter {name} is an INT; {text!r} is not a whole number") from None
        return text.strip()
    if declared == "FLOAT":
        try:
            float(text.strip())
        except ValueError:
            raise BundleError(f"parameter {name} is a FLOAT; {text!r} is not a number") from None
        return text.strip()
    if declared == "BOOL":
        if text.strip().lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise BundleError(f"parameter {name} is a BOOL; {text!r} is not true or false")
        return text.strip().lower()
    if declared == "PATH" and text and "://" not in text:
        return str((base_dir / Path(text).expanduser()).resolve()) if not Path(text).is_absolute() else text
    return text


def _list_value(name: str, declared: str, value: Any, base_dir: Path) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BundleError(f"parameter {name} is a {declared}; give a JSON list, e.g. "
                              f"{name}='[\"a\", \"b\"]'") from None
    if not isinstance(value, list):
        raise BundleError(f"parameter {name} is a {declared}; {value!r} is not a list")
    inner = declared[len("LIST["):-1]
    if inner.startswith("LIST["):
        return [_list_value(name, inner, item, base_dir) for item in value]
    return [_scalar(name, inner, item, base_dir) for item in value]

