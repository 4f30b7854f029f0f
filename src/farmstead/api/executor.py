"""The use-case side of the pipeline: who is calling, and running one handler in one transaction.

Owns: resolving an access key to a Caller (through api/key_cache.py: the lookup is on every
request), authorization, clientToken idempotency, and the transaction around
each handler (a write transaction for writers: committed before the response is sent). A staged
handler's prepare stage runs before that, in a read transaction, and the call it returns with no
transaction held (api/registry.py).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import orjson

from farmstead.api import audit_trail, registry, store_outages
from farmstead.api.authorization import authorize
from farmstead.api.context import Caller, Context, Signals
from farmstead.api.key_cache import KeyCache, KnownKey
from farmstead.clock import Clock
from farmstead.config import Settings
from farmstead.ids import Arns
from farmstead.orchestration.task_changes import DispatchTally
from farmstead.protocol import signing
from farmstead.protocol.errors import ServiceError, conflict, throttled, validation_error
from farmstead.protocol.model import OperationInfo
from farmstead.protocol.pagination import TokenCodec
from farmstead.protocol.serialization import encode_json
from farmstead.store import idempotency, identity
from farmstead.store.engine import Store, StoreBusy, StoreUnavailable

log = logging.getLogger("farmstead.audit")


class Executor:
    def __init__(self, store: Store, settings: Settings, clock: Clock, signals: Signals | None = None,
                 dispatched: Callable[[DispatchTally], None] | None = None) -> None:
        self.signals = signals or Signals()
        #: Told what a committed request did to tasks (farmstead.metrics); never for a rolled-back one.
        self._dispatched = dispatched
        self.store = store
        self.settings = settings
        self.clock = clock
        self.arns = Arns(settings.region, settings.account_id)
        with store.write() as conn:
            secret = identity.get_or_create_secret(conn, "pagination_secret")
        self.tokens = TokenCodec(bytes.fromhex(secret))
        self._keys = KeyCache(self._find_key, wall_clock=clock.now)
        self._handlers = registry.handlers()

    # --- authentication -------------------------------------------------------------------------

    def authenticate(self, request: signing.IncomingRequest, *, service: str = "deadline") -> Caller:
        """The caller who signed `request`; `service` is the SigV4 signing name it must be scoped to
        (the same keys sign `deadline` and `logs` requests)."""
        known: list[KnownKey] = []

        def credential_of(access_key_id: str) -> signing.Credential | None:
            key = self._keys.get(access_key_id)
            if key is None:
                return None
            known.append(key)
            return key.credential

        try:
            signing.verify(request, credential_of, self.clock.now(), service=service)
        except (StoreBusy, StoreUnavailable) as error:
            raise store_outages.refusal(error) from None
        return known[0].caller

    def _find_key(self, access_key_id: str) -> KnownKey | None:
        with self.store.read() as conn:
            record, group_ids = identity.find_key_and_groups(conn, access_key_id)
        if record is None:
            return None
        credential = signing.Credential(record.access_key_id, record.secret_access_key, record.principal_id,
                                        record.session_token, record.expires_at)
        caller = Caller(record.principal_id, record.principal_name, record.is_admin,
                        f"arn:aws:iam::{self.settings.account_id}:user/{record.principal_name}", record.scope,
                        record.access_key_id, group_ids)
        return KnownKey(credential, caller)

    # --- execution --------------------------------------------------------------------------------

    def runs_in_thread(self, operation: str) -> bool:
        """Whether the pipeline runs the operation off the event loop, in a worker thread, so the loop
        serves other requests meanwhile: a handler that may wait on another service (a prepare stage,
        api/registry.py), and on PostgreSQL every handler. There a handler mostly waits: for its
        round trips and its COMMIT's WAL flush (~1-1.6 ms on a virtual disk). Run one after another
        on the loop, one replica answered ~220 idle heartbeats/s at 30 % of a core; in threads its
        transactions overlap and concurrent commits share a flush: ~610/s (docs/scaling.md). SQLite
        has no waits to overlap (and one writer at a time): its handlers stay on the loop."""
        if self.store.dialect == "postgresql":
            return True
        handler = self._handlers.get(operation)
        return handler is not None and handler.prepare is not None

    def execute(self, info: OperationInfo, caller: Caller, params: dict[str, Any], request_id: str) -> dict | None:
        handler = self._handlers.get(info.name)
        entry = audit_trail.begin(info.name, caller, params) if audit_trail.is_audited(
            info.name, handler is not None and handler.write) else None
        try:
            return self._execute(info, caller, params, entry)
        except (StoreBusy, StoreUnavailable) as error:  # the entry cannot be written either
            refusal = store_outages.refusal(error)
            raise throttled(refusal.message, retry_after_seconds=refusal.retry_after_seconds) from None
        except ServiceError as error:
            self._audit_failure(entry, error.code)
            raise
        except Exception:
            self._audit_failure(entry, "InternalServerErrorException")
            raise

    def _audit_failure(self, entry: audit_trail.Entry | None, code: str) -> None:
        """A refused call's entry, in its own transaction: the call's own rolled back."""
        if entry is None:
            return
        try:
            with self.store.write() as conn:
                entry.write(conn, self.clock.now(), code)
        except (StoreBusy, StoreUnavailable):  # the caller still hears the refusal; the log says what is missing
            log.warning("audit entry of a refused %s (%s) not written: the store is unavailable", entry.operation, code)

    def _execute(self, info: OperationInfo, caller: Caller, params: dict[str, Any],
                 entry: audit_trail.Entry | None) -> dict | None:
        handler = self._handlers.get(info.name)
        if handler is None:
            raise ServiceError("NotImplemented", f"Farmstead does not implement {info.name} yet.")
        prepared = self._prepare(handler, info, caller, params)
        token_member = _idempotency_member(info)
        token: str | None = params.get(token_member) if token_member and handler.write else None
        transaction = self.store.write() if handler.write else self.store.read()
        with transaction as conn:
            authorize(conn, caller, info.name, handler.access, params)
            request_hash = None
            if token_member and token:
                request_hash = _request_hash(params, token_member)
                earlier = idempotency.find(conn, info.name, caller.principal_id, token)
                if earlier is not None:
                    if earlier[0] != request_hash:
                        raise _token_reused(info, token)
                    if entry is not None:
                        entry.write(conn, self.clock.now(), "success", earlier[1])
                    return earlier[1]
            ctx = Context(conn, caller, self.clock.now(), self.settings, self.arns, self.tokens, info.name, params,
                          signals=self.signals, prepared=prepared)
            output = handler.fn(ctx, params)
            ctx.flush_changes()
            if entry is not None:  # in the change's own transaction: committed with it or not at all
                entry.write(conn, ctx.now, "success", output)
            if request_hash is not None and token is not None:
                idempotency.save(conn, info.name, caller.principal_id, token, request_hash,
                                 orjson.loads(encode_json(output or {})), ctx.now)
        for hook in ctx.after_commit:
            hook()
        changes = ctx.made_changes()
        if changes is not None and self._dispatched is not None:
            self._dispatched(changes.tally)
        return output

    def _prepare(self, handler: registry.Handler, info: OperationInfo, caller: Caller, params: dict[str, Any]) -> Any:
        """A staged handler's first stage: checks and reads in a read transaction, then the call it
        returned (a network round trip) with no transaction or connection held; None for a handler
        that has no prepare stage."""
        if handler.prepare is None:
            return None
        with self.store.read() as conn:
            authorize(conn, caller, info.name, handler.access, params)
            ctx = Context(conn, caller, self.clock.now(), self.settings, self.arns, self.tokens, info.name, params,
                          signals=self.signals)
            call = handler.prepare(ctx, params)
        return call() if call is not None else None


@functools.cache
def _idempotency_member(info: OperationInfo) -> str | None:
    shape = info.model.input_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.metadata.get("idempotencyToken"):
            return name
    return None


def _token_reused(info: OperationInfo, token: str) -> ServiceError:
    """A clientToken reused with other input: ConflictException where the operation models it."""
    message = "The clientToken was already used with different parameters."
    if any(shape.name == "ConflictException" for shape in info.model.error_shapes):
        return conflict("CONFLICT_EXCEPTION", "clientToken", token, message)
    return validation_error(message, [{"name": "clientToken", "message": message}])


def _request_hash(params: dict[str, Any], token_member: str) -> str:
    rest = {k: v for k, v in params.items() if k != token_member}
    return hashlib.sha256(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()
