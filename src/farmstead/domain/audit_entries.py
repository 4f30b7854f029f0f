"""What an audit entry keeps of a request: its parameters with secrets removed and large documents
reduced to a size and a hash, and the ids of the resources it names (docs/audit.md).

Secrets are recognised by member name, not by value: a member whose name says secret, password,
session token or credentials is replaced whole (nested too). The job template (and any other string
over MAX_TEXT characters) is kept as {"sha256", "bytes"}: the hash says whether two submissions sent the
same template, without the audit table growing by every template's body.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
MAX_TEXT = 1024
_SECRET_MEMBER = re.compile(r"secret|password|sessiontoken|credentials|privatekey", re.IGNORECASE)
#: Members that are bodies, not settings: always a size and hash, however short.
_DOCUMENTS = frozenset({"template"})


def safe_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` as the audit log stores them: JSON-safe, no secrets, no large bodies."""
    return {name: _safe(name, value) for name, value in params.items()}


def _safe(name: str, value: Any) -> Any:
    if _SECRET_MEMBER.search(name):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): _safe(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(name, item) for item in value]
    if isinstance(value, bytes):
        return _digest(value)
    if isinstance(value, str):
        return _digest(value.encode()) if name in _DOCUMENTS or len(value) > MAX_TEXT else value
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)  # datetimes and the like


def _digest(body: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}


def resource_ids(*documents: Mapping[str, Any] | None) -> list[str]:
    """The resource ids named at the top level of the request and its answer (farmId, jobId, the id
    a create returns ...), in order, each once. clientToken is no resource."""
    found: list[str] = []
    for document in documents:
        for name, value in (document or {}).items():
            if name.endswith("Id") and isinstance(value, str) and value not in found:
                found.append(value)
            elif name.endswith("Ids") and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, str) and v not in found)
    return found
