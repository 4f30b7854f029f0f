"""Principals, their access keys, and server settings kept in the store (the pagination secret).

Access keys are long-term (made by the CLI) or temporary: minted by the Assume*Role operations with a
session token, an expiry and a scope (domain/credential_scopes.py says what a scope allows), or by
`farmstead login` with a session token and an expiry but no scope (all the user may do); deleted once
expired, and a directory user's login keys when the directory no longer lets them in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from farmstead.ids import new_access_key_id, new_secret_access_key, new_session_token
from farmstead.store import groups
from farmstead.store.pipelines import Pipelined, run_together
from farmstead.store.schema import access_keys, group_members, principals, settings
from farmstead.store.send_later import SEND_LATER


@dataclass(frozen=True)
class PrincipalRecord:
    principal_id: str
    name: str
    is_admin: bool
    #: Set for a user provisioned by a directory (LDAP) sign-in: their entry's DN.
    directory_dn: str | None = None


@dataclass(frozen=True)
class KeyRecord:
    access_key_id: str
    secret_access_key: str
    principal_id: str
    principal_name: str
    is_admin: bool
    session_token: str | None
    expires_at: datetime | None
    scope: dict | None
    created_at: datetime
    #: The principal's directory group DNs (store/groups.py finds the groups bound to them).
    directory_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemporaryKey:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: datetime


def get_or_create_secret(conn: Connection, key: str) -> str:
    row = conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).first()
    if row is not None:
        return row.value
    # Replicas starting at once on one database: the first insert wins and every replica uses its value.
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(settings).values(key=key, value=secrets.token_hex(32)).on_conflict_do_nothing())
    return conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar_one()


def create_principal(conn: Connection, principal_id: str, name: str, is_admin: bool, now: datetime) -> PrincipalRecord:
    conn.execute(principals.insert().values(principal_id=principal_id, name=name, is_admin=is_admin, created_at=now))
    return PrincipalRecord(principal_id, name, is_admin)


def find_principal(conn: Connection, name_or_id: str) -> PrincipalRecord | None:
    row = conn.execute(
        sa.select(principals.c.principal_id, principals.c.name, principals.c.is_admin, principals.c.directory_dn)
        .where(sa.or_(principals.c.name == name_or_id, principals.c.principal_id == name_or_id))
    ).first()
    return PrincipalRecord(row.principal_id, row.name, row.is_admin, row.directory_dn) if row else None


def provision_directory_user(conn: Connection, principal_id: str, name: str, dn: str, groups: list[str],
                             is_admin: bool, now: datetime) -> PrincipalRecord | None:
    """The directory user `name` as a principal: created on their first sign-in, else their DN, groups and
    admin flag refreshed from what the directory said. None when `name` is a local principal's (a
    directory sign-in never takes over a local account)."""
    existing = find_principal(conn, name)
    if existing is None or existing.name != name:
        # Racing first sign-ins (threads, replicas): the first insert wins, the others refresh its row.
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        inserted = conn.execute(insert(principals).values(
            principal_id=principal_id, name=name, is_admin=is_admin, created_at=now, directory_dn=dn,
            directory_groups=groups).on_conflict_do_nothing(index_elements=["name"])
            .returning(principals.c.principal_id)).first()
        if inserted is not None:
            return PrincipalRecord(principal_id, name, is_admin, dn)
        existing = find_principal(conn, name)
        assert existing is not None
    if existing.directory_dn is None:
        return None
    conn.execute(principals.update().where(principals.c.principal_id == existing.principal_id)
                 .values(directory_dn=dn, directory_groups=groups, is_admin=is_admin))
    return PrincipalRecord(existing.principal_id, name, is_admin, dn)


def directory_groups_of(conn: Connection, principal_id: str) -> list[str]:
    """The DNs of the directory groups a provisioned user was in at their last sign-in or re-check."""
    return list(conn.execute(sa.select(principals.c.directory_groups)
                             .where(principals.c.principal_id == principal_id)).scalar() or [])


def list_principals(conn: Connection) -> list[PrincipalRecord]:
    rows = conn.execute(sa.select(principals.c.principal_id, principals.c.name, principals.c.is_admin)
                        .order_by(principals.c.created_at, principals.c.name))
    return [PrincipalRecord(r.principal_id, r.name, r.is_admin) for r in rows]


def add_key(conn: Connection, access_key_id: str, secret_access_key: str, principal_id: str, now: datetime,
            *, session_token: str | None = None, expires_at: datetime | None = None, scope: dict | None = None) -> None:
    # Nothing reads the new key before the commit: sent with the next statement (store/send_later.py).
    conn.execute(access_keys.insert().values(
        access_key_id=access_key_id, secret_access_key=secret_access_key, principal_id=principal_id,
        session_token=session_token, expires_at=expires_at, scope=scope, created_at=now), execution_options=SEND_LATER)


def _key_query():
    return sa.select(access_keys, principals.c.name, principals.c.is_admin, principals.c.directory_groups).join(
        principals, principals.c.principal_id == access_keys.c.principal_id)


def _key_record(row) -> KeyRecord:
    return KeyRecord(row.access_key_id, row.secret_access_key, row.principal_id, row.name, row.is_admin,
                     row.session_token, row.expires_at, row.scope, row.created_at, tuple(row.directory_groups or ()))


def find_key(conn: Connection, access_key_id: str) -> KeyRecord | None:
    row = conn.execute(_key_query().where(access_keys.c.access_key_id == access_key_id)).first()
    return _key_record(row) if row else None


_FIND_KEY = Pipelined(_key_query().where(access_keys.c.access_key_id == sa.bindparam("b_access_key_id")), "key")
#: The key's principal's groups added locally, by the key: sent with the key's own read.
_LOCAL_GROUPS_OF_KEY = Pipelined(
    sa.select(group_members.c.group_id).where(group_members.c.principal_id == sa.select(
        access_keys.c.principal_id).where(access_keys.c.access_key_id == sa.bindparam("b_access_key_id"))
        .scalar_subquery()), "group")


def find_key_and_groups(conn: Connection, access_key_id: str) -> tuple[KeyRecord | None, tuple[str, ...]]:
    """The key and the groups of its principal (as groups.group_ids_of gives them), read together:
    every request whose key the server has not cached pays this, so it is one round trip on
    PostgreSQL (store/pipelines.py) for a principal without directory groups (every worker)."""
    params = {"b_access_key_id": access_key_id}
    key, local = run_together(conn, [(_FIND_KEY, params), (_LOCAL_GROUPS_OF_KEY, params)])
    row = key.first()
    if row is None:
        return None, ()
    record = _key_record(row)
    if record.directory_groups:  # groups bound to the directory's DNs as well
        return record, groups.group_ids_of(conn, record.principal_id, record.directory_groups)
    return record, tuple(sorted(found.group_id for found in local.rows))


def list_keys(conn: Connection, *, include_temporary: bool = False) -> list[KeyRecord]:
    query = _key_query().order_by(access_keys.c.created_at)
    if not include_temporary:
        query = query.where(access_keys.c.session_token.is_(None))
    return [_key_record(r) for r in conn.execute(query)]


def delete_key(conn: Connection, access_key_id: str) -> bool:
    return conn.execute(access_keys.delete().where(access_keys.c.access_key_id == access_key_id)).rowcount > 0


def mint_temporary_key(conn: Connection, principal_id: str, scope: dict, now: datetime,
                       lifetime: timedelta) -> TemporaryKey:
    """A new temporary key of the principal, limited to `scope`, valid until now + lifetime."""
    key = TemporaryKey(new_access_key_id(temporary=True), new_secret_access_key(), new_session_token(),
                       now + lifetime)
    add_key(conn, key.access_key_id, key.secret_access_key, principal_id, now,
            session_token=key.session_token, expires_at=key.expires_at, scope=scope)
    return key


def mint_login_key(conn: Connection, principal_id: str, now: datetime, lifetime: timedelta) -> TemporaryKey:
    """A temporary key for everything the principal may do (no scope), valid until now + lifetime."""
    key = TemporaryKey(new_access_key_id(temporary=True), new_secret_access_key(), new_session_token(),
                       now + lifetime)
    add_key(conn, key.access_key_id, key.secret_access_key, principal_id, now,
            session_token=key.session_token, expires_at=key.expires_at)
    return key


def _login_keys(now: datetime):
    # No scope: a SQL NULL, or the JSON null add_key's None becomes in a JSON column.
    unscoped = sa.or_(access_keys.c.scope.is_(None), sa.cast(access_keys.c.scope, sa.Text) == "null")
    return sa.and_(access_keys.c.session_token.is_not(None), unscoped, access_keys.c.expires_at >= now)


def directory_users_with_login_keys(conn: Connection, now: datetime) -> list[PrincipalRecord]:
    """The directory-provisioned principals holding an unexpired `farmstead login` key."""
    rows = conn.execute(
        sa.select(principals.c.principal_id, principals.c.name, principals.c.is_admin, principals.c.directory_dn)
        .where(principals.c.directory_dn.is_not(None),
               principals.c.principal_id.in_(sa.select(access_keys.c.principal_id).where(_login_keys(now))))
        .order_by(principals.c.name))
    return [PrincipalRecord(r.principal_id, r.name, r.is_admin, r.directory_dn) for r in rows]


def delete_login_keys(conn: Connection, principal_id: str, now: datetime) -> int:
    """Delete the principal's unexpired `farmstead login` keys (their access ends with them)."""
    return conn.execute(access_keys.delete().where(access_keys.c.principal_id == principal_id,
                                                   _login_keys(now))).rowcount


def delete_expired_keys(conn: Connection, now: datetime) -> int:
    """Delete keys that expired before `now`; how many."""
    return conn.execute(access_keys.delete().where(access_keys.c.expires_at < now)).rowcount


def delete_some_expired_keys(conn: Connection, now: datetime, limit: int) -> None:
    """Delete at most `limit` keys that expired before `now` (on PostgreSQL only rows no other
    transaction holds), so a request can tidy up in passing without waiting on anyone: found through
    the expiry's index, and sent with the request's next statement (store/send_later.py)."""
    expired = sa.select(access_keys.c.access_key_id).where(access_keys.c.expires_at < now).limit(limit)
    if conn.dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    conn.execute(access_keys.delete().where(access_keys.c.access_key_id.in_(expired.scalar_subquery())),
                 execution_options=SEND_LATER)


def set_password_hash(conn: Connection, principal_id: str, password_hash: str | None) -> None:
    """Store (or with None, remove) the salted hash a user signs in to the web monitor with."""
    conn.execute(principals.update().where(principals.c.principal_id == principal_id)
                 .values(password_hash=password_hash))


def password_hash_of(conn: Connection, principal_id: str) -> str | None:
    return conn.execute(sa.select(principals.c.password_hash)
                        .where(principals.c.principal_id == principal_id)).scalar()
