"""Order search: the search module's read model as a Relay connection (module ``search``).

The connection pages with the search module's own keyset cursor. An edge's cursor wraps the
search cursor its page started from and how many orders of that page come before the next one;
the last edge of a full page wraps the search module's ``next`` cursor itself. So any edge's
cursor, passed as ``after``, continues exactly after that edge.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import strawberry
from strawberry.types import Info

from gateway.authorization import require
from gateway.errors import graphql_error
from gateway.schema.common import Connection, Edge, PageInfo, ctx, money, timestamp
from gateway.schema.customers import Customer, customer_by_loader
from gateway.schema.ordering import Order, OrderItem, OrderStatus, load_order

MAX_FIRST = 100
"""The most orders one page may ask for (the search module's largest page)."""


@strawberry.input(description="Every filter is optional; the ones given must all match.")
class OrderSearchFilter:
    customer_id: strawberry.ID | None = None
    after: dt.datetime | None = strawberry.field(
        default=None, description="Created at or after this time."
    )
    before: dt.datetime | None = strawberry.field(
        default=None, description="Created before this time."
    )
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At least one item from one of these stores (at most 100)."
    )
    product_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At least one of these products (at most 100)."
    )
    min_total: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    max_total: Decimal | None = strawberry.field(default=None, description="Inclusive.")
    status: OrderStatus | None = None

    def to_backend(self) -> dict[str, Any]:
        filters: dict[str, Any] = {
            "customer_id": None if self.customer_id is None else str(self.customer_id),
            "after": None if self.after is None else self.after.isoformat(),
            "before": None if self.before is None else self.before.isoformat(),
            "store_ids": None if self.store_ids is None else [str(i) for i in self.store_ids],
            "product_ids": None if self.product_ids is None else [str(i) for i in self.product_ids],
            "min_total": None if self.min_total is None else str(self.min_total),
            "max_total": None if self.max_total is None else str(self.max_total),
            "status": None if self.status is None else self.status.value,
        }
        return {name: value for name, value in filters.items() if value is not None}


@strawberry.type(description="An order as search indexes it: names as at ordering time.")
class OrderSummary:
    id: strawberry.ID
    customer_id: strawberry.ID
    customer_name: str
    items: list[OrderItem]
    total: Decimal
    status: OrderStatus
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> OrderSummary:
        return cls(
            id=strawberry.ID(data["order_id"]),
            customer_id=strawberry.ID(data["customer_id"]),
            customer_name=data["customer_name"],
            items=[OrderItem.from_backend(item) for item in data["items"]],
            total=money(data["total"]),
            status=OrderStatus(data["status"]),
            created_at=timestamp(data["created_at"]),
            updated_at=timestamp(data["updated_at"]),
        )

    @strawberry.field(description="The customer now (through a DataLoader).")
    async def customer(self, info: Info) -> Customer | None:
        return await customer_by_loader(info, str(self.customer_id))

    @strawberry.field(description="The order itself, from the ordering module.")
    async def order(self, info: Info) -> Order:
        return await load_order(info, str(self.id))


def encode_cursor(page: str | None, skip: int) -> str:
    raw = orjson.dumps([page, skip])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str | None, int]:
    """(the search cursor a page started from, how many of its orders to skip)."""
    try:
        page, skip = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (page is None or isinstance(page, str)) or not isinstance(skip, int):
            raise ValueError(cursor)
        if not 0 <= skip <= MAX_FIRST:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error):
        raise graphql_error("after is not a valid cursor", "BAD_REQUEST", field="after") from None
    return page, skip


async def search_orders(
    info: Info, filter: OrderSearchFilter | None, first: int, after: str | None
) -> Connection[OrderSummary]:
    if not 1 <= first <= MAX_FIRST:
        raise graphql_error(
            f"first must be between 1 and {MAX_FIRST}", "BAD_REQUEST", field="first"
        )
    page, skip = (None, 0) if after is None else decode_cursor(after)
    body = {
        "filters": (filter or OrderSearchFilter()).to_backend(),
        "next": page,
        "limit": min(MAX_FIRST, skip + first),
    }
    found = await ctx(info).call("POST", "/search/orders", body)
    rows: list[dict[str, Any]] = found["orders"]
    following: str | None = found["next"]
    edges = []
    for index in range(skip, min(len(rows), skip + first)):
        last_of_page = index == len(rows) - 1 and following is not None
        cursor = encode_cursor(following, 0) if last_of_page else encode_cursor(page, index + 1)
        edges.append(Edge(node=OrderSummary.from_backend(rows[index]), cursor=cursor))
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=following is not None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Orders matching every given filter, newest first, as a Relay connection."
    )
    async def search_orders(
        self,
        info: Info,
        filter: OrderSearchFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[OrderSummary]:
        require(info, "customer")  # the backend limits a customer to their own orders
        return await search_orders(info, filter, first, after)
