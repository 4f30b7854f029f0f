"""The catalogue ListAvailableMeteredProducts answers with, and PutMeteredProduct accepts from.

Owns: the products, as data. They are the usage-based-licensing products the Deadline Cloud developer
guide lists for license endpoints of customer-managed fleets ("Connect customer-managed fleets to a
license endpoint"), with the license port each product's security-group rule opens. The id spelling
`<family>-<major version>` fits the model's MeteredProductId pattern; AWS' live catalogue may name and
version them differently, so this table is the one place to change when it does.
Must not: query anything or raise API errors.
"""

from __future__ import annotations

from typing import NamedTuple


class MeteredProduct(NamedTuple):
    product_id: str
    family: str
    vendor: str
    port: int


_CATALOGUE = (
    MeteredProduct("3dsmax-2024", "3dsmax", "autodesk", 2701),
    MeteredProduct("3dsmax-2025", "3dsmax", "autodesk", 2701),
    MeteredProduct("arnold-7", "arnold", "autodesk", 2701),
    MeteredProduct("cinema4d-2024", "cinema4d", "maxon", 7057),
    MeteredProduct("cinema4d-2025", "cinema4d", "maxon", 7057),
    MeteredProduct("houdini-19.5", "houdini", "sidefx", 1715),
    MeteredProduct("houdini-20.0", "houdini", "sidefx", 1715),
    MeteredProduct("houdini-20.5", "houdini", "sidefx", 1715),
    MeteredProduct("karma-20.0", "karma", "sidefx", 1715),
    MeteredProduct("keyshot-2024", "keyshot", "luxion", 2703),
    MeteredProduct("mantra-20.0", "mantra", "sidefx", 1715),
    MeteredProduct("maya-2024", "maya", "autodesk", 2702),
    MeteredProduct("maya-2025", "maya", "autodesk", 2702),
    MeteredProduct("nuke-15", "nuke", "foundry", 6101),
    MeteredProduct("nuke-16", "nuke", "foundry", 6101),
    MeteredProduct("redshift-3", "redshift", "maxon", 7054),
    MeteredProduct("vray-6", "vray", "chaos", 30306),
    MeteredProduct("vray-7", "vray", "chaos", 30306),
)

#: Sorted by product id: the order both list operations answer in (and page by).
AVAILABLE: tuple[MeteredProduct, ...] = tuple(sorted(_CATALOGUE))
_BY_ID = {product.product_id: product for product in AVAILABLE}


def find(product_id: str) -> MeteredProduct | None:
    return _BY_ID.get(product_id)


def after(product_id: str | None) -> list[MeteredProduct]:
    """The catalogue from the first product whose id sorts after `product_id` (None: from the start)."""
    return [p for p in AVAILABLE if product_id is None or p.product_id > product_id]
