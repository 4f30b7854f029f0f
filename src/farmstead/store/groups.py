"""Groups: principals of type GROUP (docs/access.md), their local members, and which groups a user is in.

Owns: the rows of `principal_groups` and `group_members` (and, deleting a group, the memberships it
held). A user is in a group when added to it locally or, for a directory user, when the group is bound
to one of the DNs in their directory_groups (as read at their last sign-in or re-check; compared
case-insensitively); for a user of the OpenID provider, to one of the names in their groups claim.
Must not: decide what a group's memberships allow (api/authorization.py does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.store.schema import group_members, memberships, principal_groups, principals


@dataclass(frozen=True)
class GroupRecord:
    group_id: str
    name: str
    directory_dn: str | None
    #: The names of the users added to the group locally (directory members are not listed: the
    #: directory says who they are).
    members: tuple[str, ...] = ()


def create(conn: Connection, group_id: str, name: str, directory_dn: str | None, now: datetime) -> GroupRecord:
    conn.execute(principal_groups.insert().values(group_id=group_id, name=name, directory_dn=directory_dn,
                                                  created_at=now))
    return GroupRecord(group_id, name, directory_dn)


def find(conn: Connection, name_or_id: str) -> GroupRecord | None:
    row = conn.execute(sa.select(principal_groups).where(
        sa.or_(principal_groups.c.name == name_or_id, principal_groups.c.group_id == name_or_id))).first()
    return GroupRecord(row.group_id, row.name, row.directory_dn) if row else None


def list_all(conn: Connection) -> list[GroupRecord]:
    """Every group with its local members' names, oldest first."""
    members: dict[str, list[str]] = {}
    for row in conn.execute(sa.select(group_members.c.group_id, principals.c.name)
                            .join(principals, principals.c.principal_id == group_members.c.principal_id)
                            .order_by(principals.c.name)):
        members.setdefault(row.group_id, []).append(row.name)
    rows = conn.execute(sa.select(principal_groups).order_by(principal_groups.c.created_at, principal_groups.c.name))
    return [GroupRecord(r.group_id, r.name, r.directory_dn, tuple(members.get(r.group_id, ()))) for r in rows]


def rename(conn: Connection, group_id: str, name: str) -> None:
    conn.execute(principal_groups.update().where(principal_groups.c.group_id == group_id).values(name=name))


def delete(conn: Connection, group_id: str) -> int:
    """Delete the group, its local members' rows and every membership it held; returns how many memberships."""
    held = conn.execute(memberships.delete().where(memberships.c.principal_id == group_id,
                                                   memberships.c.principal_type == "GROUP")).rowcount
    conn.execute(group_members.delete().where(group_members.c.group_id == group_id))
    conn.execute(principal_groups.delete().where(principal_groups.c.group_id == group_id))
    return held


def add_member(conn: Connection, group_id: str, principal_id: str) -> bool:
    """Add the user to the group; False when they already were."""
    present = conn.execute(sa.select(group_members.c.group_id).where(
        group_members.c.group_id == group_id, group_members.c.principal_id == principal_id)).first()
    if present is not None:
        return False
    conn.execute(group_members.insert().values(group_id=group_id, principal_id=principal_id))
    return True


def remove_member(conn: Connection, group_id: str, principal_id: str) -> bool:
    return conn.execute(group_members.delete().where(
        group_members.c.group_id == group_id, group_members.c.principal_id == principal_id)).rowcount > 0


def group_ids_of(conn: Connection, principal_id: str, directory_groups: Sequence[str] | None = None) -> tuple[str, ...]:
    """The groups the user is in: added locally, or bound to a DN of their directory groups (read here
    unless given: the key lookup has them already, and so asks with one query)."""
    if directory_groups is None:
        directory_groups = conn.execute(sa.select(principals.c.directory_groups)
                                        .where(principals.c.principal_id == principal_id)).scalar() or []
    local = sa.select(group_members.c.group_id).where(group_members.c.principal_id == principal_id)
    if directory_groups:
        # Case-insensitively: DNs are (AD returns "CN=Artists,OU=Groups" for what an admin typed as
        # "cn=artists,ou=groups"), and so are the group names of the providers the OIDC claim comes from.
        bound = sa.select(principal_groups.c.group_id).where(
            sa.func.lower(principal_groups.c.directory_dn).in_(sorted({dn.lower() for dn in directory_groups})))
        local = sa.union(local, bound)  # type: ignore[assignment]
    return tuple(sorted(conn.execute(local).scalars()))
