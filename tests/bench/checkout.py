"""Checkout → approved: from ``checkoutBasket`` returning to the order's APPROVED update reaching
an ``orderUpdated`` subscriber over graphql-transport-ws, one order at a time.

The order is created asynchronously, so a client cannot subscribe to it before checking out: it
follows its customer's orders (``customerOrdersUpdated``), and on the new order's first update
subscribes to ``orderUpdated`` (on the same connection) with the cursor of the update before it
as ``after``: what the order went through until then is replayed, live updates follow. The time
measured is when the order's own subscription delivers APPROVED.

Anchor: the book's design, where every outbox is polled every 500 ms. From checkout to APPROVED
at a subscriber the change crosses OUTBOX_HOPS outboxes (counted from the code below); a hop
waits for the next poll, uniformly 0-500 ms, so the floor (no processing time at all) is a sum of
OUTBOX_HOPS uniform waits: an Irwin-Hall distribution, mean OUTBOX_HOPS x 250 ms.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

from backend.ordering.domain import order_id_for_basket
from tests.bench.clients import BenchError, Feed, GraphQLSocket, HTTPConnection
from tests.bench.report import Row, median, percentile
from tests.bench.stack import MallStack
from tests.support.auth import auth_headers

CHECKOUT = """mutation($input: CheckoutBasketInput!) {
  checkoutBasket(input: $input) { basket { id status } } }"""
CUSTOMER_ORDERS = """subscription($id: ID!) {
  customerOrdersUpdated(customerId: $id) { cursor snapshot orders { id status } } }"""
ORDER_UPDATED = """subscription($id: ID!, $after: String) {
  orderUpdated(orderId: $id, after: $after) { cursor order { id status } } }"""

BOOK_POLL_MS = 500
OUTBOX_HOPS = (
    1  # baskets: BasketCheckedOut                   → ordering creates the order
    + 1  # ordering: OrderCreated                    → cosec starts the saga
    + 5  # cosec: AuthorizeCustomer, CreateShoppingList, ConfirmPayment, InitiateShopping,
    #      ApproveOrder (backend.cosec.domain.CREATE_ORDER_STEPS, forward)  → the participants
    + 4  # replies of customers, depot, payments, depot → cosec (the reply to ApproveOrder comes
    #      after the order is approved, so it is not on the path)
    + 1  # ordering: the orders projection update (APPROVED) → the gateway's hub → subscriber
)
"""12: every arrow is a unit of work that commits an outbox row, relayed to Redis."""


def irwin_hall_quantile(n: int, q: float) -> float:
    """The ``q`` quantile of the sum of ``n`` uniform(0, 1) variables (exact CDF, bisection)."""

    def cdf(x: float) -> float:
        point = Fraction(x)
        total = sum(
            (-1) ** k * math.comb(n, k) * (point - k) ** n for k in range(math.floor(x) + 1)
        )
        return float(total / math.factorial(n))

    low, high = 0.0, float(n)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < q else (low, middle)
    return (low + high) / 2


def book_floor_ms(q: float) -> float:
    return irwin_hall_quantile(OUTBOX_HOPS, q) * BOOK_POLL_MS


async def checkout_latencies(stack: MallStack, orders: int, warmup: int) -> list[float]:
    mall = stack.mall
    _, product_id = await mall.store_with_product("10.00")
    customer_id = await mall.customer("Checkout bench")
    bearer = auth_headers("customer", customer_id=customer_id)
    socket = await GraphQLSocket.connect(stack.gateway.ws_url, init_payload=bearer)
    gateway = await HTTPConnection.open(stack.gateway.url, headers=bearer)
    customer_feed = Feed()
    socket.subscribe(CUSTOMER_ORDERS, {"id": customer_id}, customer_feed)
    latencies = []
    try:
        _, snapshot = await customer_feed.next()
        cursor = snapshot["customerOrdersUpdated"]["cursor"]
        for n in range(warmup + orders):
            basket_id = await mall.basket(customer_id, product_id, quantity=1)
            payment_id = await mall.payment(customer_id, "10.00")
            checkout = {"input": {"basketId": basket_id, "paymentId": payment_id}}
            await gateway.graphql(CHECKOUT, checkout)
            checked_out = time.perf_counter()
            order_id = order_id_for_basket(basket_id)
            while True:  # the order's first update; earlier orders' later ones may come first
                _, data = await customer_feed.next()
                update = data["customerOrdersUpdated"]
                if any(o["id"] == order_id for o in update["orders"]):
                    break
                cursor = update["cursor"]
            order_feed = Feed()  # from the cursor before the order: PENDING, APPROVED, …
            after = {"id": order_id, "after": cursor}
            subscription = socket.subscribe(ORDER_UPDATED, after, order_feed)
            cursor = update["cursor"]
            while True:
                at, data = await order_feed.next()
                status = data["orderUpdated"]["order"]["status"]
                if status == "APPROVED":
                    break
                if status != "PENDING":
                    raise BenchError(f"order {order_id} went {status}, not APPROVED")
            socket.complete(subscription)
            if n >= warmup:
                latencies.append((at - checked_out) * 1000)
    finally:
        await gateway.close()
        await socket.close()
    return latencies


async def checkout_rows(stack: MallStack, smoke: bool) -> list[Row]:
    ours = await checkout_latencies(stack, 3 if smoke else 200, 1 if smoke else 5)
    anchor = f"book: {OUTBOX_HOPS} outbox hops polled every {BOOK_POLL_MS} ms"
    return [
        Row("checkout → APPROVED at subscriber p50", median(ours), "ms", anchor,
            book_floor_ms(0.5), higher_is_better=False, target="p50 < 50 ms"),
        Row("checkout → APPROVED at subscriber p99", percentile(ours, 99), "ms", anchor,
            book_floor_ms(0.99), higher_is_better=False, target="p99 < 200 ms"),
    ]  # fmt: skip
