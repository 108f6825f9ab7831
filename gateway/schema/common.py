"""Pieces shared by the module schemas: context access, errors, connections (Relay style)."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

import strawberry
from strawberry.types import Info

from gateway.context import Context

T = TypeVar("T")


def ctx(info: Info) -> Context:
    return cast(Context, info.context)


def seg(id: object) -> str:
    """An id as one URL path segment (``/`` and ``..`` cannot reach another route)."""
    return quote(str(id), safe="")


def idempotent(key: str | None) -> dict[str, str]:
    """The ``idempotency_key`` member of a command body (nothing when no key is given)."""
    return {} if key is None else {"idempotency_key": key}


def timestamp(value: Any) -> dt.datetime:
    """A backend timestamp (ISO 8601 text, or a datetime in a projection state)."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def money(value: Any) -> Decimal:
    """A backend amount (text or number) as an exact Decimal."""
    return Decimal(str(value))


def optional_id(value: Any) -> strawberry.ID | None:
    return None if value is None or value == "" else strawberry.ID(str(value))


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def offset_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def paginate(nodes: list[T], first: int, after: str | None) -> Connection[T]:
    """A Relay connection over an in-memory list (for lists the backend returns whole)."""
    from gateway.errors import graphql_error

    if first < 1 or first > 100:
        raise graphql_error("first must be between 1 and 100", "BAD_REQUEST", field="first")
    start = 0
    if after is not None:
        try:
            start = int(base64.urlsafe_b64decode(after.encode()).decode().split(":")[1]) + 1
        except (ValueError, IndexError):
            raise graphql_error(
                "after is not a valid cursor", "BAD_REQUEST", field="after"
            ) from None
    page = nodes[start : start + first]
    edges = [Edge(node=n, cursor=offset_cursor(start + i)) for i, n in enumerate(page)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(nodes),
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
