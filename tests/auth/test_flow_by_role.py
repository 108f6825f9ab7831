"""The whole flow through the gateway, each step by the role a real mall would use: a customer
shops and pays, a bot fetches the goods, and the customer follows the order to COMPLETED."""

from __future__ import annotations

from typing import Any

from tests.auth.conftest import World
from tests.gateway.graphql_http import data, post
from tests.gateway.test_subscriptions import ORDER_UPDATED, subscription
from tests.support.auth import auth_headers
from tests.support.waiting import eventually


async def test_customer_bot_and_invoice_take_an_order_to_completed(world: World) -> None:
    gateway = world.gateway
    customer = await world.mall.customer("Carol")
    me = auth_headers("customer", customer_id=customer)
    bot = auth_headers("bot", bot_id=world.bot_id)

    async def as_(headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
        return await data(gateway, query, headers, **variables)

    start = "mutation($c: ID!) { startBasket(input: {customerId: $c}) { basket { id } } }"
    basket = (await as_(me, start, c=customer))["startBasket"]["basket"]["id"]
    await as_(
        me,
        """mutation($b: ID!, $p: ID!) { addBasketItem(input: {basketId: $b,
        productId: $p, quantity: 1}) { basket { id } } }""",
        b=basket,
        p=world.product_id,
    )
    payment = (
        await as_(me, """mutation($c: ID!) { authorizePayment(input: {customerId: $c,
            amount: "49.99"}) { payment { id } } }""", c=customer)
    )["authorizePayment"]["payment"]["id"]  # fmt: skip
    await as_(
        me,
        """mutation($b: ID!, $p: ID!) { checkoutBasket(input: {basketId: $b,
        paymentId: $p}) { basket { status } } }""",
        b=basket,
        p=payment,
    )
    search = "{ searchOrders(first: 10) { edges { node { id status } } } }"
    found = await eventually(
        lambda: as_(me, search), lambda d: len(d["searchOrders"]["edges"]) == 1
    )
    order_id = found["searchOrders"]["edges"][0]["node"]["id"]

    async with subscription(gateway, ORDER_UPDATED, auth=me, id=order_id) as feed:
        await feed.until(lambda u: u["order"]["status"] == "APPROVED")
        lists = await as_(bot, "{ availableShoppingLists { edges { node { id orderId } } } }")
        (mine,) = [
            e["node"]["id"]
            for e in lists["availableShoppingLists"]["edges"]
            if e["node"]["orderId"] == order_id
        ]
        await as_(bot, """mutation($l: ID!, $b: ID!) { assignShoppingList(input: {
            shoppingListId: $l, botId: $b}) { shoppingList { status } } }""", l=mine,
                  b=world.bot_id)  # fmt: skip
        await as_(
            bot,
            """mutation($l: ID!) { completeShoppingList(input: {shoppingListId: $l})
            { shoppingList { status } } }""",
            l=mine,
        )
        await feed.until(lambda u: u["order"]["status"] == "READY")
        invoice = await eventually(
            lambda: gateway_invoice(world, me, order_id), lambda i: i is not None
        )
        assert invoice == {"id": order_id, "status": "PENDING"}
        await as_(
            me,
            """mutation($i: ID!) { payInvoice(input: {invoiceId: $i}) {
            invoice { status } } }""",
            i=order_id,
        )
        completed = await feed.until(lambda u: u["order"]["status"] == "COMPLETED")
    assert completed["order"]["id"] == order_id


async def gateway_invoice(
    world: World, headers: dict[str, str], order_id: str
) -> dict[str, Any] | None:
    body = await post(
        world.gateway, "query($i: ID!) { invoice(id: $i) { id status } }", headers, i=order_id
    )
    return None if "errors" in body else dict(body["data"]["invoice"])
