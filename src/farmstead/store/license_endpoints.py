"""License endpoints and the metered products added to them: rows in, rows out."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.paging import keyset_page
from farmstead.store.schema import license_endpoints, metered_products


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(license_endpoints.insert().values(**values))


def get(conn: Connection, license_endpoint_id: str) -> Row | None:
    return conn.execute(sa.select(license_endpoints).where(
        license_endpoints.c.license_endpoint_id == license_endpoint_id)).first()


def delete(conn: Connection, license_endpoint_id: str) -> None:
    # Products first: SQLite enforces the ON DELETE CASCADE only with foreign keys switched on.
    conn.execute(metered_products.delete().where(metered_products.c.license_endpoint_id == license_endpoint_id))
    conn.execute(license_endpoints.delete().where(license_endpoints.c.license_endpoint_id == license_endpoint_id))


def page(conn: Connection, after: Any, limit: int) -> list[Row]:
    return list(conn.execute(keyset_page(sa.select(license_endpoints), license_endpoints.c.created_at,
                                         license_endpoints.c.license_endpoint_id, after, limit)))


def has_product(conn: Connection, license_endpoint_id: str, product_id: str) -> bool:
    return conn.execute(sa.select(metered_products.c.product_id).where(
        metered_products.c.license_endpoint_id == license_endpoint_id,
        metered_products.c.product_id == product_id)).first() is not None


def add_product(conn: Connection, license_endpoint_id: str, product_id: str) -> None:
    if not has_product(conn, license_endpoint_id, product_id):
        conn.execute(metered_products.insert().values(license_endpoint_id=license_endpoint_id, product_id=product_id))


def remove_product(conn: Connection, license_endpoint_id: str, product_id: str) -> bool:
    return conn.execute(metered_products.delete().where(
        metered_products.c.license_endpoint_id == license_endpoint_id,
        metered_products.c.product_id == product_id)).rowcount > 0


def product_page(conn: Connection, license_endpoint_id: str, after: str | None, limit: int) -> list[str]:
    """Product ids on the endpoint in id order, after `after`; limit + 1 of them to tell whether more remain."""
    query = sa.select(metered_products.c.product_id).where(
        metered_products.c.license_endpoint_id == license_endpoint_id)
    if after is not None:
        query = query.where(metered_products.c.product_id > after)
    return [r.product_id for r in conn.execute(query.order_by(metered_products.c.product_id).limit(limit + 1))]
