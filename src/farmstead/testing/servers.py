"""The servers a test session shares: one per kind (store, job attachments, settings), started when a
test first asks for that kind and stopped when the session ends.

Owns: what a kind of server is (ServerKind), the PostgreSQL database of each server on PostgreSQL and
the one SeaweedFS store the servers with job attachments share (made here, dropped and stopped in
`close`), and the directories they live in.
Must not: import pytest (the plugin owns the session and calls `close`), or create farms: tests share
a server and each makes a farm of its own (farms.py), so a server start (~1 s) is paid once a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from farmstead.testing.databases import drop_postgres_database, fresh_postgres_database
from farmstead.testing.farms import ATTACHMENTS_BUCKET
from farmstead.testing.live_server import LiveServer
from farmstead.testing.s3_store import S3Store

STORES = ("embedded", "postgresql")


@dataclass(frozen=True)
class ServerKind:
    #: "embedded" (SQLite in the server's data dir) or "postgresql" (a fresh database on the server
    #: FARMSTEAD_TEST_DATABASE_URL names).
    store: str = "embedded"
    #: An S3 store (SeaweedFS) for job attachments beside the server, its keys handed out by the server.
    job_attachments: bool = False
    #: More FARMSTEAD_* settings for the server, as (name, value) pairs in name order.
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, store: str = "embedded", job_attachments: bool = False,
           settings: Mapping[str, str] | None = None) -> ServerKind:
        if store not in STORES:
            raise ValueError(f"store must be one of {', '.join(STORES)}, not {store!r}")
        return cls(store, bool(job_attachments), tuple(sorted((settings or {}).items())))


@dataclass
class Served:
    server: LiveServer
    s3: S3Store | None
    database_url: str | None


@dataclass
class ServerPool:
    root: Path
    _served: dict[ServerKind, Served] = field(default_factory=dict)
    _s3: S3Store | None = None
    _started: int = 0

    def get(self, kind: ServerKind) -> Served:
        """The running server of this kind, started now if it is the first time it is asked for."""
        if kind not in self._served:
            self._served[kind] = self._start(kind)
        return self._served[kind]

    def _start(self, kind: ServerKind) -> Served:
        self._started += 1  # a failed start keeps its directory (and its server.log)
        data_dir = self.root / f"server-{self._started}"
        data_dir.mkdir(parents=True)
        env = dict(kind.settings)
        s3 = self._attachment_store() if kind.job_attachments else None
        if s3 is not None:
            env.update(s3.server_env())
        database_url = fresh_postgres_database() if kind.store == "postgresql" else None
        server = LiveServer(data_dir, database_url=database_url, embedded_only=database_url is None, extra_env=env,
                            inherit_aws_settings=False)
        try:
            server.start()
        except BaseException:
            if database_url:
                drop_postgres_database(database_url)
            raise
        return Served(server, s3, database_url)

    def _attachment_store(self) -> S3Store:
        if self._s3 is None:
            self._s3 = S3Store.start(self.root / "s3")
            self._s3.create_bucket(ATTACHMENTS_BUCKET)
        return self._s3

    def close(self) -> None:
        for served in self._served.values():
            served.server.stop()
            if served.database_url:
                drop_postgres_database(served.database_url)
        self._served.clear()
        if self._s3 is not None:
            self._s3.stop()
            self._s3 = None
