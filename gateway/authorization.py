"""Authorization of GraphQL fields by the request's principal (the roles table in the README).

Each root field states who may use it with one call at its top; ownership is checked again by
the backend, which receives the principal with every call. A foreign object answers exactly as
an unknown one (``NOT_FOUND``), so nothing tells a customer that another customer's order exists.
"""

from __future__ import annotations

from strawberry.types import Info

from backend.platform.principal import Principal, Role
from gateway.errors import graphql_error


def who(info: Info) -> Principal:
    principal: Principal = info.context.principal
    return principal


def require(info: Info, *roles: Role) -> Principal:
    """The principal, if it has one of ``roles`` (an admin has all); otherwise
    ``UNAUTHENTICATED`` for an anonymous request and ``FORBIDDEN`` for a signed-in one."""
    principal = who(info)
    if principal.has_role(*roles):
        return principal
    if principal.role == "anonymous":
        raise graphql_error("you must sign in to do this", "UNAUTHENTICATED")
    raise graphql_error("you are not allowed to do this", "FORBIDDEN")


def require_customer(info: Info, customer_id: object) -> Principal:
    """The principal, if it may act for ``customer_id`` (that customer, or an admin)."""
    principal = require(info, "customer")
    if not principal.is_customer(customer_id):
        raise graphql_error("you are not allowed to act for this customer", "FORBIDDEN")
    return principal


def require_manager(info: Info, store_id: object) -> Principal:
    principal = require(info, "store_manager")
    if not principal.manages(store_id):
        raise graphql_error("you do not manage this store", "FORBIDDEN")
    return principal


def require_bot(info: Info, bot_id: object) -> Principal:
    principal = require(info, "bot")
    if not principal.is_bot(bot_id):
        raise graphql_error("you are not this bot", "FORBIDDEN")
    return principal
