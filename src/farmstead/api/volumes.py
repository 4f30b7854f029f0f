"""Volumes: GetVolume, ListVolumes, DeleteVolume.

Owns: answering for persistent volumes, which only service-managed fleets have. This server runs
customer-managed fleets only, so no volume ever exists: after the farm and fleet are checked, Get
and Delete find nothing and List is empty. Must not: store anything.
"""

from __future__ import annotations

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import require_fleet
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found


def _no_volume(volume_id: str):
    return not_found("volume", volume_id, f"Volume {volume_id} does not exist: only service-managed fleets have "
                                          "volumes, and this server runs customer-managed fleets only.")


@operation("GetVolume")
def get_volume(ctx: Context, params: shapes.GetVolumeRequest) -> shapes.GetVolumeResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    raise _no_volume(params["volumeId"])


@operation("DeleteVolume", write=True, access="ADMIN")
def delete_volume(ctx: Context, params: shapes.DeleteVolumeRequest) -> shapes.DeleteVolumeResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    raise _no_volume(params["volumeId"])


@operation("ListVolumes")
def list_volumes(ctx: Context, params: shapes.ListVolumesRequest) -> shapes.ListVolumesResponse:
    require_fleet(ctx, params["farmId"], params["fleetId"])
    ctx.page_request()  # a nextToken can only be one we never issued: refused as the model says
    return {"volumes": []}
