"""License endpoints and metered products: CreateLicenseEndpoint, GetLicenseEndpoint, DeleteLicenseEndpoint,
ListLicenseEndpoints, PutMeteredProduct, DeleteMeteredProduct, ListMeteredProducts,
ListAvailableMeteredProducts.

Owns: recording endpoints and the catalogue products put on them. Farmstead runs no license server,
so an endpoint is READY at once and its dnsName is a self-describing name under the reserved `.invalid`
top-level domain (RFC 2606), which never resolves. Administrator only, except the catalogue, which
any signed caller may read (the model lists no AccessDeniedException for it).
Must not: hold SQL (store/license_endpoints.py) or the catalogue itself (domain/metered_products.py).
"""

from __future__ import annotations

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.tags import check_tags, tag_new_resource
from farmstead.domain import metered_products
from farmstead.domain.statuses import LicenseEndpointStatus
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found
from farmstead.store import license_endpoints, tags
from farmstead.store.paging import position_of

READY_MESSAGE = "The license endpoint is ready. Farmstead records it; it serves no licenses itself."


def _require_endpoint(ctx: Context, license_endpoint_id: str):
    row = license_endpoints.get(ctx.conn, license_endpoint_id)
    if row is None:
        raise not_found("license-endpoint", license_endpoint_id)
    return row


def _product_output(product: metered_products.MeteredProduct) -> shapes.MeteredProductSummary:
    return {"productId": product.product_id, "family": product.family, "vendor": product.vendor,
            "port": product.port}


@operation("CreateLicenseEndpoint", write=True, access="ADMIN")
def create_license_endpoint(ctx: Context,
                            params: shapes.CreateLicenseEndpointRequest) -> shapes.CreateLicenseEndpointResponse:
    check_tags(params.get("tags"))
    license_endpoint_id = new_id("le")
    license_endpoints.insert(
        ctx.conn, license_endpoint_id=license_endpoint_id, status=LicenseEndpointStatus.READY,
        status_message=READY_MESSAGE,
        vpc_id=params["vpcId"], subnet_ids=list(params["subnetIds"]),
        security_group_ids=list(params["securityGroupIds"]),
        dns_name=f"{license_endpoint_id}.license-endpoint.{ctx.arns.region}.farmstead.invalid",
        created_at=ctx.now)
    tag_new_resource(ctx, ctx.arns.license_endpoint(license_endpoint_id), params.get("tags"))
    return {"licenseEndpointId": license_endpoint_id}


@operation("GetLicenseEndpoint", access="ADMIN")
def get_license_endpoint(ctx: Context, params: shapes.GetLicenseEndpointRequest) -> shapes.GetLicenseEndpointResponse:
    row = _require_endpoint(ctx, params["licenseEndpointId"])
    return {"licenseEndpointId": row.license_endpoint_id, "status": row.status, "statusMessage": row.status_message,
            "vpcId": row.vpc_id, "dnsName": row.dns_name, "subnetIds": list(row.subnet_ids),
            "securityGroupIds": list(row.security_group_ids)}


@operation("DeleteLicenseEndpoint", write=True, access="ADMIN")
def delete_license_endpoint(ctx: Context,
                            params: shapes.DeleteLicenseEndpointRequest) -> shapes.DeleteLicenseEndpointResponse:
    license_endpoint_id = params["licenseEndpointId"]
    _require_endpoint(ctx, license_endpoint_id)
    tags.delete_all(ctx.conn, ctx.arns.license_endpoint(license_endpoint_id))
    license_endpoints.delete(ctx.conn, license_endpoint_id)
    return {}


@operation("ListLicenseEndpoints", access="ADMIN")
def list_license_endpoints(ctx: Context,
                           params: shapes.ListLicenseEndpointsRequest) -> shapes.ListLicenseEndpointsResponse:
    after, limit = ctx.page_request()
    rows = license_endpoints.page(ctx.conn, after, limit)

    def summary(row: Row) -> shapes.LicenseEndpointSummary:
        return {"licenseEndpointId": row.license_endpoint_id, "status": row.status,
                "statusMessage": row.status_message, "vpcId": row.vpc_id}

    items, more = ctx.paged(rows, limit, summary, lambda r: position_of(r.created_at, r.license_endpoint_id))
    return {"licenseEndpoints": items, **more}


@operation("PutMeteredProduct", write=True, access="ADMIN")
def put_metered_product(ctx: Context, params: shapes.PutMeteredProductRequest) -> shapes.PutMeteredProductResponse:
    license_endpoint_id, product_id = params["licenseEndpointId"], params["productId"]
    _require_endpoint(ctx, license_endpoint_id)
    if metered_products.find(product_id) is None:
        raise not_found("metered-product", product_id,
                        f"{product_id} is not an available metered product (see ListAvailableMeteredProducts).")
    license_endpoints.add_product(ctx.conn, license_endpoint_id, product_id)  # putting it again changes nothing
    return {}


@operation("DeleteMeteredProduct", write=True, access="ADMIN")
def delete_metered_product(ctx: Context,
                           params: shapes.DeleteMeteredProductRequest) -> shapes.DeleteMeteredProductResponse:
    license_endpoint_id, product_id = params["licenseEndpointId"], params["productId"]
    _require_endpoint(ctx, license_endpoint_id)
    if not license_endpoints.remove_product(ctx.conn, license_endpoint_id, product_id):
        raise not_found("metered-product", product_id,
                        f"{product_id} is not a metered product of license endpoint {license_endpoint_id}.")
    return {}


@operation("ListMeteredProducts", access="ADMIN")
def list_metered_products(ctx: Context,
                          params: shapes.ListMeteredProductsRequest) -> shapes.ListMeteredProductsResponse:
    license_endpoint_id = params["licenseEndpointId"]
    _require_endpoint(ctx, license_endpoint_id)
    after, limit = ctx.page_request()
    ids = license_endpoints.product_page(ctx.conn, license_endpoint_id, after, limit)
    # A product dropped from the catalogue since it was put has no family/vendor/port left to report.
    products = [p for p in map(metered_products.find, ids) if p is not None]
    items, more = ctx.paged(products, limit, _product_output, lambda p: p.product_id)
    return {"meteredProducts": items, **more}


@operation("ListAvailableMeteredProducts", access="AUTHENTICATED")
def list_available_metered_products(
        ctx: Context, params: shapes.ListAvailableMeteredProductsRequest,
) -> shapes.ListAvailableMeteredProductsResponse:
    after, limit = ctx.page_request()
    products = metered_products.after(after)[:limit + 1]
    items, more = ctx.paged(products, limit, _product_output, lambda p: p.product_id)
    return {"meteredProducts": items, **more}
