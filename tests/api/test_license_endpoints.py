"""License endpoints and metered products, through a real boto3 client."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import REGION

MISSING_ENDPOINT = "le-" + "0" * 32


def create(deadline, **overrides) -> str:
    params = {"vpcId": "vpc-0a1b2c", "subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"], **overrides}
    return deadline.create_license_endpoint(**params)["licenseEndpointId"]


def available(deadline) -> list[dict]:
    return deadline.list_available_metered_products()["meteredProducts"]


def error_of(caught) -> dict:
    return caught.value.response


def test_create_then_get_is_ready_and_returns_every_field(deadline):
    endpoint_id = create(deadline)
    endpoint = deadline.get_license_endpoint(licenseEndpointId=endpoint_id)
    del endpoint["ResponseMetadata"]
    assert endpoint == {
        "licenseEndpointId": endpoint_id, "status": "READY", "statusMessage": endpoint["statusMessage"],
        "vpcId": "vpc-0a1b2c", "dnsName": f"{endpoint_id}.license-endpoint.{REGION}.farmstead.invalid",
        "subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"]}
    assert endpoint["statusMessage"]


def test_list_license_endpoints_pages_summaries(deadline):
    made = [create(deadline, vpcId=f"vpc-{i}") for i in range(3)]
    seen = []
    for page in deadline.get_paginator("list_license_endpoints").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["licenseEndpoints"]) <= 2
        seen += page["licenseEndpoints"]
    by_id = {e["licenseEndpointId"]: e for e in seen}
    assert set(made) <= set(by_id) and len(seen) == len(by_id)
    assert by_id[made[1]]["vpcId"] == "vpc-1" and by_id[made[1]]["status"] == "READY"
    assert set(by_id[made[1]]) == {"licenseEndpointId", "status", "statusMessage", "vpcId"}


def test_deleted_endpoint_is_resource_not_found(deadline):
    endpoint_id = create(deadline, tags={"a": "b"})
    deadline.delete_license_endpoint(licenseEndpointId=endpoint_id)
    with pytest.raises(ClientError) as caught:
        deadline.get_license_endpoint(licenseEndpointId=endpoint_id)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("license-endpoint", endpoint_id)


def test_endpoint_tags_from_creation_are_listed(deadline):
    endpoint_id = create(deadline, tags={"cost-centre": "fx"})
    arn = f"arn:aws:deadline:{REGION}:000000000000:license-endpoint/{endpoint_id}"
    assert deadline.list_tags_for_resource(resourceArn=arn)["tags"] == {"cost-centre": "fx"}


def test_malformed_vpc_id_is_validation_exception(deadline):
    with pytest.raises(ClientError) as caught:
        create(deadline, vpcId="not-a-vpc")
    assert [f["name"] for f in error_of(caught)["fieldList"]] == ["vpcId"]


# --- metered products -----------------------------------------------------------------------------

def test_available_products_are_a_fixed_catalogue_sorted_by_id(deadline):
    products = available(deadline)
    ids = [p["productId"] for p in products]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {"nuke", "houdini", "redshift", "vray", "maya", "arnold"} <= {p["family"] for p in products}
    assert all(1024 <= p["port"] <= 65535 and p["vendor"] for p in products)


def test_available_products_page(deadline):
    pages = list(deadline.get_paginator("list_available_metered_products").paginate(
        PaginationConfig={"PageSize": 5}))
    assert all(len(p["meteredProducts"]) <= 5 for p in pages) and len(pages) > 1
    assert [m for p in pages for m in p["meteredProducts"]] == available(deadline)


def test_put_product_lists_it_with_its_catalogue_details(deadline):
    endpoint_id = create(deadline)
    product = available(deadline)[0]
    deadline.put_metered_product(licenseEndpointId=endpoint_id, productId=product["productId"])
    deadline.put_metered_product(licenseEndpointId=endpoint_id, productId=product["productId"])  # again: no change
    assert deadline.list_metered_products(licenseEndpointId=endpoint_id)["meteredProducts"] == [product]


def test_products_of_an_endpoint_page(deadline):
    endpoint_id = create(deadline)
    chosen = available(deadline)[:3]
    for product in reversed(chosen):
        deadline.put_metered_product(licenseEndpointId=endpoint_id, productId=product["productId"])
    pages = list(deadline.get_paginator("list_metered_products").paginate(
        licenseEndpointId=endpoint_id, PaginationConfig={"PageSize": 2}))
    assert [len(p["meteredProducts"]) for p in pages] == [2, 1]
    assert [m for p in pages for m in p["meteredProducts"]] == chosen


def test_product_outside_the_catalogue_is_refused(deadline):
    endpoint_id = create(deadline)
    with pytest.raises(ClientError) as caught:
        deadline.put_metered_product(licenseEndpointId=endpoint_id, productId="madeup-1")
    error = error_of(caught)
    assert (error["Error"]["Code"], error["resourceType"], error["resourceId"]) == (
        "ResourceNotFoundException", "metered-product", "madeup-1")
    assert deadline.list_metered_products(licenseEndpointId=endpoint_id)["meteredProducts"] == []


def test_deleted_product_is_no_longer_listed(deadline):
    endpoint_id = create(deadline)
    product_id = available(deadline)[1]["productId"]
    deadline.put_metered_product(licenseEndpointId=endpoint_id, productId=product_id)
    deadline.delete_metered_product(licenseEndpointId=endpoint_id, productId=product_id)
    assert deadline.list_metered_products(licenseEndpointId=endpoint_id)["meteredProducts"] == []


def test_deleting_a_product_the_endpoint_lacks_is_resource_not_found(deadline):
    endpoint_id = create(deadline)
    product_id = available(deadline)[0]["productId"]
    with pytest.raises(ClientError) as caught:
        deadline.delete_metered_product(licenseEndpointId=endpoint_id, productId=product_id)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("metered-product", product_id)


def test_products_of_unknown_endpoint_are_resource_not_found(deadline):
    product_id = available(deadline)[0]["productId"]
    for call, params in ((deadline.put_metered_product, {"productId": product_id}),
                         (deadline.list_metered_products, {})):
        with pytest.raises(ClientError) as caught:
            call(licenseEndpointId=MISSING_ENDPOINT, **params)
        assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == (
            "license-endpoint", MISSING_ENDPOINT)


def test_endpoint_with_products_can_be_deleted(deadline):
    endpoint_id = create(deadline)
    deadline.put_metered_product(licenseEndpointId=endpoint_id, productId=available(deadline)[0]["productId"])
    deadline.delete_license_endpoint(licenseEndpointId=endpoint_id)
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.list_metered_products(licenseEndpointId=endpoint_id)


def test_users_read_the_catalogue_but_not_endpoints(server, deadline):
    endpoint_id = create(deadline)
    _, key_id, secret = server.new_user("license-user")
    user = server.client(key_id=key_id, secret=secret)
    assert user.list_available_metered_products()["meteredProducts"] == available(deadline)
    with pytest.raises(ClientError) as caught:
        user.get_license_endpoint(licenseEndpointId=endpoint_id)
    assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"
