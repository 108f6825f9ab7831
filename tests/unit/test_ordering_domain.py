"""The Order aggregate: creation rules, the state machine (O2), ids from baskets (O3)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from backend.ordering.domain import (
    ORDER_EVENTS,
    Order,
    OrderApproved,
    OrderCanceled,
    OrderCompleted,
    OrderCreated,
    OrderItem,
    OrderReadied,
    OrderRejected,
    OrderStatus,
    order_id_for_basket,
)
from backend.platform import codec
from backend.platform.errors import BadRequest
from backend.platform.money import MAX_AMOUNT

ITEMS = [
    OrderItem("p1", "s1", "Waldorf Books", "EDA with Golang", Decimal("49.99"), 2),
    OrderItem("p2", "s1", "Waldorf Books", "Pen", Decimal("1.50"), 1),
]


def new_order() -> Order:
    return Order.create("o1", "c1", "pay-1", ITEMS, "b1")


def order_in(status: OrderStatus) -> Order:
    """An order brought to ``status`` through the allowed transitions."""
    order = new_order()
    steps: dict[OrderStatus, list[Callable[[Order], None]]] = {
        OrderStatus.PENDING: [],
        OrderStatus.REJECTED: [Order.reject],
        OrderStatus.APPROVED: [lambda o: o.approve("shop-1")],
        OrderStatus.READY: [lambda o: o.approve("shop-1"), Order.ready],
        OrderStatus.COMPLETED: [
            lambda o: o.approve("shop-1"),
            Order.ready,
            lambda o: o.complete("inv-1"),
        ],
        OrderStatus.CANCELLED: [Order.cancel],
    }
    for step in steps[status]:
        step(order)
    assert order.status is status
    return order


def test_the_order_id_is_derived_from_the_basket_id() -> None:
    first = order_id_for_basket("basket-1")
    assert first == order_id_for_basket("basket-1")
    assert first != order_id_for_basket("basket-2")
    assert uuid.UUID(first).version == 5


def test_a_new_order_is_pending_with_its_total() -> None:
    order = new_order()
    assert (order.status, order.customer_id, order.payment_id, order.basket_id) == (
        OrderStatus.PENDING,
        "c1",
        "pay-1",
        "b1",
    )
    assert order.total == Decimal("101.48")
    assert order.pending == [OrderCreated("c1", "pay-1", "b1", tuple(ITEMS))]


@pytest.mark.parametrize(
    ("customer_id", "payment_id", "items", "message"),
    [
        ("c1", "pay-1", [], "the order has no items"),
        ("", "pay-1", ITEMS, "the customer id cannot be blank"),
        ("c1", " ", ITEMS, "the payment id cannot be blank"),
        (
            "c1",
            "pay-1",
            [OrderItem("p1", "s1", "S", "P", Decimal(1), 0)],
            "the item quantity must be positive",
        ),
        (
            "c1",
            "pay-1",
            [OrderItem("p1", "s1", "S", "P", Decimal("-1"), 1)],
            "the item price cannot be negative",
        ),
        (
            "c1",
            "pay-1",
            [OrderItem("p1", "s1", "S", "P", MAX_AMOUNT, 1), ITEMS[1]],
            f"the order total cannot exceed {MAX_AMOUNT}",
        ),
        (
            "c1",
            "pay-1",
            [OrderItem("p1", "s1", "S", "P", MAX_AMOUNT, 1000)],
            f"the order total cannot exceed {MAX_AMOUNT}",
        ),
    ],
)
def test_creation_rules(
    customer_id: str, payment_id: str, items: list[OrderItem], message: str
) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        Order.create("o1", customer_id, payment_id, items)


def test_an_order_may_total_exactly_the_maximum() -> None:
    order = Order.create("o1", "c1", "pay-1", [OrderItem("p1", "s1", "S", "P", MAX_AMOUNT, 1)])
    assert order.total == MAX_AMOUNT


ACTIONS: dict[str, tuple[Callable[[Order], None], str, set[OrderStatus]]] = {
    "reject": (Order.reject, "rejected", {OrderStatus.PENDING}),
    "approve": (lambda o: o.approve("shop-2"), "approved", {OrderStatus.PENDING}),
    "ready": (Order.ready, "readied", {OrderStatus.APPROVED}),
    "complete": (lambda o: o.complete("inv-2"), "completed", {OrderStatus.READY}),
    "cancel": (Order.cancel, "cancelled", {OrderStatus.PENDING, OrderStatus.APPROVED}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", list(OrderStatus))
def test_the_state_machine(action: str, status: OrderStatus) -> None:
    change, verb, allowed_from = ACTIONS[action]
    order = order_in(status)
    recorded = len(order.pending)
    if status in allowed_from:
        change(order)
        assert len(order.pending) == recorded + 1
    else:
        with pytest.raises(BadRequest, match=f"^the order cannot be {verb}$"):
            change(order)
        assert (order.status, len(order.pending)) == (status, recorded)


def test_the_transitions_record_their_events() -> None:
    order = order_in(OrderStatus.COMPLETED)
    assert order.pending[1:] == [OrderApproved("shop-1"), OrderReadied(), OrderCompleted("inv-1")]
    assert (order.shopping_id, order.invoice_id) == ("shop-1", "inv-1")
    assert order_in(OrderStatus.REJECTED).pending[-1] == OrderRejected()


def test_cancelling_an_approved_order_keeps_its_shopping_list_id() -> None:
    order = order_in(OrderStatus.APPROVED)
    order.cancel()
    assert (order.status, order.shopping_id) == (OrderStatus.CANCELLED, "shop-1")
    assert order.pending[-1] == OrderCanceled()


def test_blank_shopping_and_invoice_ids_are_refused() -> None:
    with pytest.raises(BadRequest, match="^the shopping id cannot be blank$"):
        new_order().approve(" ")
    with pytest.raises(BadRequest, match="^the invoice id cannot be blank$"):
        order_in(OrderStatus.READY).complete("")


def test_replaying_the_stored_events_rebuilds_the_order() -> None:
    order = order_in(OrderStatus.COMPLETED)
    by_type = {e.event_type: e for e in ORDER_EVENTS}
    replayed = Order("o1")
    for event in order.pending:
        stored = codec.loads(codec.dumps(codec.to_plain(event)))
        replayed.apply(codec.from_plain(by_type[event.event_type], stored))
    assert replayed.snapshot() == order.snapshot()
    assert replayed.items == tuple(ITEMS)


def test_snapshot_round_trip() -> None:
    order = order_in(OrderStatus.READY)
    copy = Order("o1")
    copy.restore(codec.loads(codec.dumps(order.snapshot())))
    assert copy.snapshot() == order.snapshot()
    assert (copy.status, copy.shopping_id, copy.items) == (
        OrderStatus.READY,
        "shop-1",
        tuple(ITEMS),
    )
    copy.complete("inv-9")
    assert copy.invoice_id == "inv-9"
