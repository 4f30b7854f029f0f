"""`python -m bench.noop_server server ...`: `farmstead server` with one extra route, a signed no-op,
that exists only in benchmarks (never in the API).

Owns: the app the CLI serves, made as `create_app` makes it, plus `GET /bench/noop`, which goes through
the same ASGI edge (body read, request id, response framing) and the same SigV4 verification and
key cache as every API request, and answers `{}`. It is the floor request_path compares the API's
reads with: what a signed request costs before routing, parsing, validation, the store and
serialization.
Must not: be imported by the server, or answer anything but the one path.
"""

from __future__ import annotations

import sys

from farmstead import server as farmstead_server
from farmstead.cli.main import cli
from farmstead.protocol import asgi, serialization
from farmstead.protocol.errors import ServiceError
from farmstead.protocol.signing import IncomingRequest, SignatureError

NOOP_PATH = "/bench/noop"
_JSON = [(b"content-type", b"application/json")]


class NoopApp(farmstead_server.FarmsteadApp):
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == NOOP_PATH:
            await asgi.serve(scope, receive, send, lambda body, _id: self._noop(scope, body),
                             max_body=1024, too_large=lambda _id: (413, _JSON[:], b"{}"))
        else:
            await super().__call__(scope, receive, send)

    def _noop(self, scope, body: bytes) -> asgi.Answer:
        raw_path, query_string, headers = asgi.request_parts(scope)
        try:
            self.executor.authenticate(IncomingRequest(scope["method"], raw_path, query_string, headers, body))
        except SignatureError as err:
            return serialization.error(ServiceError(err.code, err.message))
        return 200, _JSON[:], b"{}"


def _create_app(settings, clock=None) -> NoopApp:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = farmstead_server.Store.open(settings.database_url, pool_size=settings.db_pool_size,
                                        max_overflow=settings.db_max_overflow)
    return NoopApp(settings, store, clock)


if __name__ == "__main__":
    farmstead_server.create_app = _create_app  # the CLI imports it from the module when it serves
    sys.exit(cli(prog_name="farmstead"))
