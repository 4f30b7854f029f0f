"""`farmstead groups`: groups, the principals of type GROUP a membership may name (docs/access.md).

Owns: creating groups (optionally bound to a directory group's DN), adding and removing their local
members, listing them; in the store directly, each change in the audit log like `users create`.
A group's memberships are made like a user's: `groups add`/`groups remove` (cli/memberships.py) or the API
(principalType GROUP).
"""

from __future__ import annotations

import click

from farmstead.api import audit_trail
from farmstead.cli.admin import USER_NAME, opened
from farmstead.cli.memberships import groups_add, groups_remove
from farmstead.cli.options import data_dir_option, database_url_option
from farmstead.clock import SystemClock
from farmstead.ids import new_principal_id
from farmstead.store import groups as group_store
from farmstead.store import identity


@click.group()
def groups() -> None:
    """Groups of users: a membership given to a group is held by each of its members."""


groups.add_command(groups_add)
groups.add_command(groups_remove)


@groups.command("create")
@click.argument("name")
@click.option("--directory-dn", default=None,
              help="The DN of a directory (LDAP) group, or a group name in the OpenID provider's groups claim:"
                   " its members, as the directory or provider says at sign-in, are in this group (compared"
                   " case-insensitively).")
@data_dir_option
@database_url_option
def groups_create(name: str, directory_dn: str | None, data_dir, database_url) -> None:
    """Create a group; its id is what memberships name as principalId with principalType GROUP."""
    if not USER_NAME.fullmatch(name):
        raise click.BadParameter("letters, digits and ._@+=,- only, at most 64 characters", param_hint="NAME")
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("groups create", groupName=name,
                                                     directoryDn=directory_dn)) as entry):
        if group_store.find(entry.conn, name) is not None:
            raise click.ClickException(f"group {name} already exists")
        record = group_store.create(entry.conn, new_principal_id(), name, directory_dn, SystemClock().now())
        entry.params["principalId"] = record.group_id
    click.echo(f"{record.name}\t{record.group_id}")


@groups.command("rename")
@click.argument("group")
@click.argument("new_name")
@data_dir_option
@database_url_option
def groups_rename(group: str, new_name: str, data_dir, database_url) -> None:
    """Rename GROUP (name or id); its principalId, members and memberships stay."""
    if not USER_NAME.fullmatch(new_name):
        raise click.BadParameter("letters, digits and ._@+=,- only, at most 64 characters", param_hint="NEW_NAME")
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("groups rename", group=group, groupName=new_name)) as entry):
        found = group_store.find(entry.conn, group)
        if found is None:
            raise click.ClickException(f"no group {group}")
        if group_store.find(entry.conn, new_name) is not None:
            raise click.ClickException(f"group {new_name} already exists")
        group_store.rename(entry.conn, found.group_id, new_name)
        entry.params["principalId"] = found.group_id
    click.echo(f"{found.name} is now {new_name}\t{found.group_id}")


@groups.command("delete")
@click.argument("group")
@data_dir_option
@database_url_option
def groups_delete(group: str, data_dir, database_url) -> None:
    """Delete GROUP (name or id) and every membership it held: its members lose them within the cache window."""
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("groups delete", group=group)) as entry):
        found = group_store.find(entry.conn, group)
        if found is None:
            raise click.ClickException(f"no group {group}")
        held = group_store.delete(entry.conn, found.group_id)
        entry.params["principalId"] = found.group_id
    click.echo(f"deleted group {found.name} ({found.group_id}) and its {held} membership(s)")


def _change_member(command: str, group: str, user: str, data_dir, database_url) -> tuple[str, str, bool]:
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local(f"groups {command}", group=group, user=user)) as entry):
        found = group_store.find(entry.conn, group)
        if found is None:
            raise click.ClickException(f"no group {group}")
        principal = identity.find_principal(entry.conn, user)
        if principal is None:
            raise click.ClickException(f"no user {user}")
        change = group_store.add_member if command == "add-member" else group_store.remove_member
        changed = change(entry.conn, found.group_id, principal.principal_id)
        entry.params.update(groupId=found.group_id, principalId=principal.principal_id)
    return found.name, principal.name, changed


@groups.command("add-member")
@click.argument("group")
@click.argument("user")
@data_dir_option
@database_url_option
def groups_add_member(group: str, user: str, data_dir, database_url) -> None:
    """Add USER to GROUP (names or ids): they hold the group's memberships within seconds."""
    group_name, user_name, added = _change_member("add-member", group, user, data_dir, database_url)
    click.echo(f"{user_name} {'is now' if added else 'already was'} in {group_name}")


@groups.command("remove-member")
@click.argument("group")
@click.argument("user")
@data_dir_option
@database_url_option
def groups_remove_member(group: str, user: str, data_dir, database_url) -> None:
    """Take USER out of GROUP: the group's memberships stop counting for them within the cache window."""
    group_name, user_name, removed = _change_member("remove-member", group, user, data_dir, database_url)
    if not removed:
        raise click.ClickException(f"{user_name} is not in {group_name}")
    click.echo(f"{user_name} is no longer in {group_name}")


@groups.command("list")
@data_dir_option
@database_url_option
def groups_list(data_dir, database_url) -> None:
    """Every group: name, principalId, directory DN and local members (names), tab-separated."""
    with opened(data_dir, database_url) as store, store.read() as conn:
        rows = group_store.list_all(conn)
    # One tab-separated line per group (a DN is too long for a table's column): name, id, DN, members.
    for row in rows:
        click.echo("\t".join((row.name, row.group_id, row.directory_dn or "-", ",".join(row.members) or "-")))
