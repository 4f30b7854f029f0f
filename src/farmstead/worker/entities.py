"""BatchGetJobEntity cache: the job, step and environment details a session's actions need.

Owns: fetching entities in batches of at most 10 identifiers (duplicates folded), retrying transient
failures, re-asking one at a time for entries the server left out with `MaxPayloadSizeExceeded`,
caching them per job, and parsing templates (and the EXPR `resolvedSymbolTable` a step or environment
comes with) into openjd objects. Must not: run actions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from openjd.model import parse_model
from openjd.model.v2023_09 import Environment, StepTemplate

from farmstead.worker import retries

#: The model's bound on BatchGetJobEntity identifiers.
BATCH = 10
_KEYS = {"jobDetails": ("jobId",), "stepDetails": ("jobId", "stepId"),
         "environmentDetails": ("jobId", "environmentId"), "jobAttachmentDetails": ("jobId",)}


class EntityError(Exception):
    """The server answered an identifier with an error (or not at all)."""

    def __init__(self, kind: str, key: tuple[str, ...], code: str, message: str) -> None:
        super().__init__(f"{kind} {'/'.join(key)}: {code}: {message}")
        self.code = code


def identifier_key(identifier: dict[str, dict[str, str]]) -> tuple[str, tuple[str, ...]]:
    (kind, fields), = identifier.items()
    return kind, tuple(fields[name] for name in _KEYS[kind])


def identifier(kind: str, **fields: str) -> dict[str, dict[str, str]]:
    return {kind: fields}


class JobEntities:
    """Thread-safe cache of entities; `fetch` is the BatchGetJobEntity call (farm/fleet/worker bound)."""

    def __init__(self, fetch: Callable[[list[dict]], dict], stop: threading.Event | None = None) -> None:
        self._fetch = fetch
        self._stop = stop
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        self._errors: dict[tuple[str, tuple[str, ...]], EntityError] = {}
        self._parsed: dict[tuple, Any] = {}

    def prefetch(self, identifiers: list[dict]) -> None:
        """Fetch whatever of `identifiers` is not cached yet, in as few calls as possible."""
        wanted: dict[tuple[str, tuple[str, ...]], dict] = {}
        with self._lock:
            for item in identifiers:
                key = identifier_key(item)
                if key not in self._cache:
                    wanted.setdefault(key, item)
        items = list(wanted.items())
        for start in range(0, len(items), BATCH):
            self._fetch_batch([item for _, item in items[start:start + BATCH]])

    def _fetch_batch(self, batch: list[dict]) -> None:
        answer = retries.call(lambda: self._fetch(batch), "BatchGetJobEntity", stop=self._stop)
        too_big = []
        with self._lock:
            for entity in answer.get("entities") or []:
                (kind, details), = entity.items()
                key = (kind, tuple(details[name] for name in _KEYS[kind]))
                self._cache[key] = details
                self._errors.pop(key, None)
            for error in answer.get("errors") or []:
                (kind, details), = error.items()
                key = (kind, tuple(details.get(name, "") for name in _KEYS[kind]))
                if details.get("code") == "MaxPayloadSizeExceeded":
                    too_big.append({kind: {name: details[name] for name in _KEYS[kind]}})
                    continue
                self._errors[key] = EntityError(kind, key[1], details.get("code", "Error"), details.get("message", ""))
        if len(batch) > 1:
            for item in too_big:
                self._fetch_batch([item])

    def get(self, item: dict) -> dict[str, Any]:
        key = identifier_key(item)
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            self.prefetch([item])
            with self._lock:
                found = self._cache.get(key)
                error = self._errors.get(key)
            if found is None:
                raise error or EntityError(key[0], key[1], "Missing", "the server returned no such entity")
        return found

    def job_details(self, job_id: str) -> dict[str, Any]:
        return self.get(identifier("jobDetails", jobId=job_id))

    def step_template(self, job_id: str, step_id: str) -> StepTemplate:
        """The step as openjd-sessions runs it: FEATURE_BUNDLE_1's interpreter shorthand (`bash:`,
        `python:`, ...) resolved into the `script` it stands for (a step written so has none)."""
        details = self.get(identifier("stepDetails", jobId=job_id, stepId=step_id))
        template: StepTemplate = self._parse(("step", job_id, step_id), StepTemplate, details)
        return template.resolve_syntax_sugar()

    def environment(self, job_id: str, environment_id: str) -> Environment:
        details = self.get(identifier("environmentDetails", jobId=job_id, environmentId=environment_id))
        return self._parse(("environment", job_id, environment_id), Environment, details)

    def step_symbols(self, job_id: str, step_id: str) -> Any:
        """The step's resolved symbol table (SerializedSymbolTable) when the server sent one, else None."""
        return self._symbols(identifier("stepDetails", jobId=job_id, stepId=step_id))

    def environment_symbols(self, job_id: str, environment_id: str) -> Any:
        return self._symbols(identifier("environmentDetails", jobId=job_id, environmentId=environment_id))

    def _symbols(self, item: dict) -> Any:
        text = self.get(item).get("resolvedSymbolTable")
        if not text:
            return None
        # Imported only for EXPR jobs: openjd.expr loads openjd's native extension.
        from openjd.expr import SerializedSymbolTable

        return SerializedSymbolTable.from_json_str(text)

    def attachments(self, job_id: str) -> dict[str, Any]:
        return self.get(identifier("jobAttachmentDetails", jobId=job_id))

    def _parse(self, key: tuple, model: type, details: dict[str, Any]) -> Any:
        with self._lock:
            if key in self._parsed:
                return self._parsed[key]
        extensions = details.get("extensions") or self._job_extensions(details.get("jobId"))
        parsed: Any = parse_model(model=model, obj=details["template"], supported_extensions=extensions or None)
        with self._lock:
            self._parsed[key] = parsed
        return parsed

    def _job_extensions(self, job_id: str | None) -> list[str]:
        with self._lock:
            job = self._cache.get(("jobDetails", (job_id or "",)))
        return list((job or {}).get("extensions") or [])

    def forget_job(self, job_id: str) -> None:
        """Drop a job's entities once no session of it is left (a resubmitted template is a new job anyway)."""
        with self._lock:
            for store in (self._cache, self._errors):
                for key in [k for k in store if k[1][0] == job_id]:
                    del store[key]
            for key in [k for k in self._parsed if k[1] == job_id]:
                del self._parsed[key]
