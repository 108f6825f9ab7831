"""Tracing into memory for the observability tests (enabled for one test, then off again), and
the checkout they observe."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability import logs, tracing
from tests.gateway.graphql_http import data
from tests.support.auth import ADMIN
from tests.support.backend import RunningBackend
from tests.support.gateway import RunningGateway
from tests.support.mall import Mall

CHECKOUT = """mutation Checkout($basketId: ID!, $paymentId: ID!) {
  checkoutBasket(input: {basketId: $basketId, paymentId: $paymentId}) { basket { id status } } }"""
CUSTOMER_ORDERS = """subscription($id: ID!) {
  customerOrdersUpdated(customerId: $id) { cursor orders { id status } } }"""


class Spans:
    """The spans finished so far, read from the in-memory exporter."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name == name]

    def of_trace(self, trace_id: int) -> list[ReadableSpan]:
        return [s for s in self.all() if s.context is not None and s.context.trace_id == trace_id]


@pytest.fixture
def spans() -> Iterator[Spans]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        yield Spans(exporter)
    finally:
        tracing.disable()
        provider.shutdown()


@contextlib.contextmanager
def json_lines(name: str) -> Iterator[io.StringIO]:
    """The JSON lines that the records of logger ``name`` become, as ``logs.configure`` sets up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(
        logs.Formatter(logs.JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
    )
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


@contextlib.asynccontextmanager
async def checkout(backend: RunningBackend, gateway: RunningGateway) -> AsyncIterator[str]:
    """A customer checks a basket out through the gateway while following their orders over
    graphql-transport-ws; the block runs once the subscriber has seen the order APPROVED and its
    saga is done, with the subscription still open, and gets the order's id."""
    mall = Mall(backend.http, lambda module: backend.url)
    _, product_id = await mall.store_with_product("49.99")
    customer_id = await mall.customer()
    basket_id = await mall.basket(customer_id, product_id, quantity=2)
    payment_id = await mall.payment(customer_id, "99.98")
    transport = WebsocketsTransport(url=gateway.ws_url, init_payload=dict(ADMIN))
    async with Client(transport=transport) as session:
        updates = session.subscribe(
            GraphQLRequest(CUSTOMER_ORDERS, variable_values={"id": customer_id})
        )
        first = await anext(updates)
        assert first["customerOrdersUpdated"]["orders"] == []
        checked_out = await data(gateway, CHECKOUT, basketId=basket_id, paymentId=payment_id)
        assert checked_out["checkoutBasket"]["basket"]["status"] == "CHECKED_OUT"
        while True:  # the pushes of the new order, until it is approved
            orders = (await anext(updates))["customerOrdersUpdated"]["orders"]
            if orders and orders[0]["status"] == "APPROVED":
                break
        await mall.saga_done(orders[0]["id"])
        yield str(orders[0]["id"])
