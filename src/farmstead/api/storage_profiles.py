"""Storage profiles: Create/Get/Update/Delete/ListStorageProfiles, GetStorageProfileForQueue,
ListStorageProfilesForQueue.

Owns: the profile's file system locations (domain/queue_storage_profiles.py), refusing to delete a
profile a queue or fleet still names, and the queue's view of profiles (only those it allows).
Must not: write SQL.
"""

from __future__ import annotations

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns, require_farm, require_queue
from farmstead.domain.queue_storage_profiles import edit_locations, location_problems
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import farms, fleets, queues, storage_profiles
from farmstead.store.paging import position_of
from farmstead.store.rows import existing


def _refuse(problems: list[tuple[str, str]]):
    return validation_error("; ".join(f"{name}: {message}" for name, message in problems),
                            [{"name": name, "message": message} for name, message in problems])


def _summary(row: Row) -> shapes.StorageProfileSummary:
    return {"storageProfileId": row.storage_profile_id, "displayName": row.display_name, "osFamily": row.os_family}


def _for_queue(row: Row) -> shapes.GetStorageProfileForQueueResponse:
    return {**_summary(row), "fileSystemLocations": row.file_system_locations}


def _require_profile(ctx: Context, farm_id: str, storage_profile_id: str):
    require_farm(ctx, farm_id)
    row = storage_profiles.get(ctx.conn, farm_id, storage_profile_id)
    if row is None:
        raise not_found("storage-profile", storage_profile_id)
    return row


@operation("CreateStorageProfile", write=True, access="ADMIN")
def create_storage_profile(ctx: Context,
                           params: shapes.CreateStorageProfileRequest) -> shapes.CreateStorageProfileResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    locations = params.get("fileSystemLocations") or []
    problems = location_problems(locations, "fileSystemLocations")
    if problems:
        raise _refuse(problems)
    storage_profile_id = new_id("sp")
    storage_profiles.insert(ctx.conn, storage_profile_id=storage_profile_id, farm_id=farm_id,
                            display_name=params["displayName"], os_family=params["osFamily"],
                            file_system_locations=locations, created_at=ctx.now, created_by=ctx.who)
    return {"storageProfileId": storage_profile_id}


@operation("GetStorageProfile")
def get_storage_profile(ctx: Context, params: shapes.GetStorageProfileRequest) -> shapes.GetStorageProfileResponse:
    row = _require_profile(ctx, params["farmId"], params["storageProfileId"])
    return {**_summary(row), "fileSystemLocations": row.file_system_locations, **audit_fields(row)}


@operation("UpdateStorageProfile", write=True, access="ADMIN")
def update_storage_profile(ctx: Context,
                           params: shapes.UpdateStorageProfileRequest) -> shapes.UpdateStorageProfileResponse:
    row = _require_profile(ctx, params["farmId"], params["storageProfileId"])
    locations, problems = edit_locations(row.file_system_locations, params.get("fileSystemLocationsToAdd"),
                                         params.get("fileSystemLocationsToRemove"))
    if problems:
        raise _refuse(problems)
    if params.get("osFamily", row.os_family) != row.os_family:
        _check_fleets_keep_their_os(ctx, row.farm_id, row.storage_profile_id, params["osFamily"])
    changes = changed_columns(params, (("displayName", "display_name"), ("osFamily", "os_family")))
    storage_profiles.update(ctx.conn, row.storage_profile_id, **changes, file_system_locations=locations,
                            updated_at=ctx.now, updated_by=ctx.who)
    return {}


def _check_fleets_keep_their_os(ctx: Context, farm_id: str, storage_profile_id: str, os_family: str) -> None:
    """A fleet names a profile of its own OS (api/fleets.py checks that): changing the OS under it is refused."""
    for fleet_id in fleets.using_storage_profile(ctx.conn, farm_id, storage_profile_id):
        fleet = existing(fleets.get(ctx.conn, farm_id, fleet_id), f"fleet {fleet_id}")  # found just above
        fleet_os = fleet.configuration["customerManaged"]["workerCapabilities"]["osFamily"]
        if fleet_os != os_family:
            raise _refuse([("osFamily", f"Fleet {fleet_id} uses this storage profile and its workers run "
                                        f"{fleet_os}; the profile cannot become {os_family}.")])


@operation("DeleteStorageProfile", write=True, access="ADMIN")
def delete_storage_profile(ctx: Context,
                           params: shapes.DeleteStorageProfileRequest) -> shapes.DeleteStorageProfileResponse:
    farm_id, storage_profile_id = params["farmId"], params["storageProfileId"]
    # The model lists no ResourceNotFoundException for this operation: deleting what is not there
    # (or is in no such farm) succeeds and changes nothing.
    if not farms.exists(ctx.conn, farm_id) or storage_profiles.get(ctx.conn, farm_id, storage_profile_id) is None:
        return {}
    users = ([f"queue {q}" for q in queues.allowing_storage_profile(ctx.conn, farm_id, storage_profile_id)]
             + [f"fleet {f}" for f in fleets.using_storage_profile(ctx.conn, farm_id, storage_profile_id)])
    if users:
        # Nor does it list ConflictException, so "still in use" is a ValidationException on the id.
        message = (f"Storage profile {storage_profile_id} is still used by {', '.join(users)}; remove it from "
                   f"them first.")
        raise _refuse([("storageProfileId", message)])
    storage_profiles.delete(ctx.conn, storage_profile_id)
    return {}


@operation("ListStorageProfiles")
def list_storage_profiles(ctx: Context,
                          params: shapes.ListStorageProfilesRequest) -> shapes.ListStorageProfilesResponse:
    farm_id = params["farmId"]
    require_farm(ctx, farm_id)
    after, limit = ctx.page_request()
    rows = storage_profiles.page(ctx.conn, farm_id, after, limit)
    items, more = ctx.paged(rows, limit, _summary, lambda r: position_of(r.created_at, r.storage_profile_id))
    return {"storageProfiles": items, **more}


def _allowed(queue_row) -> list[str]:
    return (queue_row.attributes or {}).get("allowedStorageProfileIds") or []


@operation("GetStorageProfileForQueue")
def get_storage_profile_for_queue(
        ctx: Context, params: shapes.GetStorageProfileForQueueRequest,
) -> shapes.GetStorageProfileForQueueResponse:
    farm_id, storage_profile_id = params["farmId"], params["storageProfileId"]
    queue = require_queue(ctx, farm_id, params["queueId"])
    # A profile the queue does not allow does not exist as far as the queue is concerned.
    row = storage_profiles.get(ctx.conn, farm_id, storage_profile_id) if storage_profile_id in _allowed(queue) else None
    if row is None:
        raise not_found("storage-profile", storage_profile_id)
    return _for_queue(row)


@operation("ListStorageProfilesForQueue")
def list_storage_profiles_for_queue(
        ctx: Context, params: shapes.ListStorageProfilesForQueueRequest,
) -> shapes.ListStorageProfilesForQueueResponse:
    farm_id = params["farmId"]
    queue = require_queue(ctx, farm_id, params["queueId"])
    after, limit = ctx.page_request()
    rows = storage_profiles.page(ctx.conn, farm_id, after, limit, only=_allowed(queue))
    items, more = ctx.paged(rows, limit, _summary, lambda r: position_of(r.created_at, r.storage_profile_id))
    return {"storageProfiles": items, **more}
