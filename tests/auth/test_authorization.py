"""Every rule of the roles table, against the real stack: a gateway in front of a backend with
all modules, on the test session's PostgreSQL and Redis.

Two customers, A and B, each with an order that the saga approved; a store manager of one
store; a bot. Each test asks as one principal and checks the answer's code, and that a foreign
object answers exactly like an unknown one.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.platform.principal import Principal
from tests.auth.conftest import World
from tests.gateway.graphql_http import post
from tests.support.auth import ADMIN, auth_headers, backend_headers


def code(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    return str(error["extensions"]["code"])


ORDER = "query($id: ID!) { order(id: $id) { id customerId status } }"
BASKET = "query($id: ID!) { basket(id: $id) { id } }"
CUSTOMER = "query($id: ID!) { customer(id: $id) { id smsNumber } }"
PAYMENT = "query($id: ID!) { payment(id: $id) { id } }"
NOTIFICATIONS = (
    "query($id: ID!) { notifications(customerId: $id) { edges { node { smsNumber } } } }"
)
SEARCH = """query($f: OrderSearchFilter) {
  searchOrders(filter: $f, first: 100) { edges { node { id customerId } } } }"""


# --- authentication ---


async def test_anonymous_reads_the_public_catalog_only(world: World) -> None:
    catalog = await post(
        world.gateway,
        "query($s: ID!) { stores { id } catalog(storeId: $s) { id } }",
        None,
        s=world.store_id,
    )
    assert "errors" not in catalog
    assert world.product_id in [p["id"] for p in catalog["data"]["catalog"]]
    for query, variables in (
        (CUSTOMER, {"id": world.a.customer_id}),
        (ORDER, {"id": world.a.order_id}),
        (NOTIFICATIONS, {"id": world.a.customer_id}),
        (SEARCH, {}),
        (PAYMENT, {"id": world.a.payment_id}),
    ):
        assert code(await post(world.gateway, query, None, **variables)) == "UNAUTHENTICATED"
    disable = "mutation($c: ID!) { disableCustomer(input: {customerId: $c}) { customer { id } } }"
    assert code(await post(world.gateway, disable, None, c=world.a.customer_id)) == (
        "UNAUTHENTICATED"
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
    ],
)
async def test_a_bad_token_is_unauthenticated_over_http(world: World, authorization: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            world.gateway.graphql_url,
            json={"query": "{ stores { id } }"},
            headers={"Authorization": authorization},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert code(response.json()) == "UNAUTHENTICATED"


async def test_an_expired_or_forged_token_is_unauthenticated(world: World) -> None:
    from gateway.auth import mint
    from tests.support.auth import JWT_SECRET

    who = Principal("customer", subject="x", customer_id=world.a.customer_id)
    expired = mint(JWT_SECRET, who, ttl_seconds=-3600)  # beyond the 30 s leeway
    forged = mint("another-secret-of-at-least-32-bytes!!", who)
    async with httpx.AsyncClient() as http:
        for token in (expired, forged):
            response = await http.post(
                world.gateway.graphql_url,
                json={"query": CUSTOMER, "variables": {"id": world.a.customer_id}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 401
            assert code(response.json()) == "UNAUTHENTICATED"


# --- customers ---


async def test_a_customer_reads_their_own_things(world: World) -> None:
    a = world.a
    for query, variables, path in (
        (CUSTOMER, {"id": a.customer_id}, "customer"),
        (ORDER, {"id": a.order_id}, "order"),
        (BASKET, {"id": a.basket_id}, "basket"),
        (PAYMENT, {"id": a.payment_id}, "payment"),
    ):
        body = await post(world.gateway, query, a.headers, **variables)
        assert "errors" not in body, body
        assert body["data"][path]["id"] == variables["id"]


async def test_another_customers_things_answer_like_unknown_ones(world: World) -> None:
    a, b = world.a, world.b
    unknown = str(uuid.uuid4())
    for query, foreign in (
        (CUSTOMER, b.customer_id),
        (ORDER, b.order_id),
        (BASKET, b.basket_id),
        (PAYMENT, b.payment_id),
    ):
        theirs = (await post(world.gateway, query, a.headers, id=foreign))["errors"][0]
        nobodys = (await post(world.gateway, query, a.headers, id=unknown))["errors"][0]
        assert theirs["extensions"]["code"] == nobodys["extensions"]["code"] == "NOT_FOUND"
        assert theirs["message"] == nobodys["message"].replace(unknown, foreign)
    texts = await post(world.gateway, NOTIFICATIONS, a.headers, id=b.customer_id)
    none = await post(world.gateway, NOTIFICATIONS, a.headers, id=unknown)
    assert texts == none == {"data": {"notifications": {"edges": []}}}


async def test_search_orders_is_limited_to_the_customers_own_orders(world: World) -> None:
    a, b = world.a, world.b
    for filters in (None, {}, {"customerId": b.customer_id}, {"customerId": a.customer_id}):
        body = await post(world.gateway, SEARCH, a.headers, f=filters)
        assert "errors" not in body, body
        owners = {e["node"]["customerId"] for e in body["data"]["searchOrders"]["edges"]}
        assert owners <= {a.customer_id}
        if filters != {"customerId": b.customer_id}:
            assert owners == {a.customer_id}
    everyone = await post(world.gateway, SEARCH, ADMIN, f=None)
    owners = {e["node"]["customerId"] for e in everyone["data"]["searchOrders"]["edges"]}
    assert {a.customer_id, b.customer_id} <= owners
    # The backend checks again: a customer without a customer id (which the gateway never
    # forwards, but a module must not trust that) finds nothing, not everyone's orders.
    async with httpx.AsyncClient(base_url=world.backend.url) as http:
        nobody = await http.post(
            "/api/search/orders", json={}, headers=backend_headers(Principal("customer"))
        )
    assert nobody.status_code == 200
    assert nobody.json() == {"orders": [], "next": None}


async def test_a_customer_cannot_change_another_customer(world: World) -> None:
    a, b = world.a, world.b
    sms = """mutation($c: ID!) { changeCustomerSmsNumber(input: {customerId: $c,
      smsNumber: "555-0000"}) { customer { smsNumber } } }"""
    assert code(await post(world.gateway, sms, a.headers, c=b.customer_id)) == "NOT_FOUND"
    for mutation in ("disableCustomer", "enableCustomer"):
        query = (
            f"mutation($c: ID!) {{ {mutation}(input: {{customerId: $c}}) {{ customer {{ id }} }} }}"
        )
        assert code(await post(world.gateway, query, a.headers, c=a.customer_id)) == "FORBIDDEN"
    cancel = "mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { order { id } } }"
    assert code(await post(world.gateway, cancel, a.headers, o=b.order_id)) == "NOT_FOUND"
    pay = "mutation($i: ID!) { payInvoice(input: {invoiceId: $i}) { invoice { id } } }"
    assert code(await post(world.gateway, pay, a.headers, i=b.order_id)) == "NOT_FOUND"
    start = "mutation($c: ID!) { startBasket(input: {customerId: $c}) { basket { id } } }"
    assert code(await post(world.gateway, start, a.headers, c=b.customer_id)) == "FORBIDDEN"
    authorize = """mutation($c: ID!) { authorizePayment(input: {customerId: $c,
      amount: "1.00"}) { payment { id } } }"""
    assert code(await post(world.gateway, authorize, a.headers, c=b.customer_id)) == "FORBIDDEN"
    unchanged = await world.mall.call("GET", "customers", f"/{b.customer_id}")
    assert unchanged["customer"]["enabled"] is True
    assert (await world.mall.order(b.order_id))["status"] == "approved"


async def test_a_customer_checks_out_only_with_their_own_payment(world: World) -> None:
    a, b = world.a, world.b
    start = "mutation($c: ID!) { startBasket(input: {customerId: $c}) { basket { id } } }"
    started = await post(world.gateway, start, a.headers, c=a.customer_id)
    basket_id = started["data"]["startBasket"]["basket"]["id"]
    add = """mutation($b: ID!, $p: ID!) { addBasketItem(input: {basketId: $b, productId: $p,
      quantity: 1}) { basket { id } } }"""
    assert "errors" not in await post(
        world.gateway, add, a.headers, b=basket_id, p=world.product_id
    )
    checkout = """mutation($b: ID!, $p: ID!) { checkoutBasket(input: {basketId: $b,
      paymentId: $p}) { basket { status } } }"""
    refused = await post(world.gateway, checkout, a.headers, b=basket_id, p=b.payment_id)
    assert code(refused) == "NOT_FOUND"
    assert (await world.mall.call("GET", "baskets", f"/{basket_id}"))["basket"]["status"] == "open"


async def test_a_signed_in_user_registers_as_the_customer_of_their_token(world: World) -> None:
    """An identity provider's user has no customer id yet: theirs is derived from the token's
    subject, and registering creates exactly that customer."""
    from gateway.auth import DEV_ISSUER, customer_id_for, mint
    from tests.support.auth import JWT_SECRET

    subject = f"idp|{uuid.uuid4()}"
    token = mint(JWT_SECRET, Principal("customer", subject=subject))
    headers = {"Authorization": f"Bearer {token}"}
    register = """mutation { registerCustomer(input: {name: "Newcomer",
      smsNumber: "555-7777"}) { customer { id name } } }"""
    body = await post(world.gateway, register, headers)
    assert "errors" not in body, body
    expected = customer_id_for(DEV_ISSUER, subject)
    assert body["data"]["registerCustomer"]["customer"] == {"id": expected, "name": "Newcomer"}
    mine = await post(world.gateway, CUSTOMER, headers, id=expected)
    assert mine["data"]["customer"]["id"] == expected
    again = await post(world.gateway, register, headers)
    assert code(again) == "CONFLICT"


# --- store managers, bots ---


async def test_a_store_manager_changes_only_their_stores(world: World) -> None:
    manager = auth_headers("store_manager", store_ids=[world.store_id])
    add = """mutation($s: ID!) { addProduct(input: {storeId: $s, name: "Pen", sku: "p1",
      price: "1.50"}) { product { id } } }"""
    added = await post(world.gateway, add, manager, s=world.store_id)
    assert "errors" not in added, added
    assert code(await post(world.gateway, add, manager, s=world.other_store_id)) == "FORBIDDEN"
    price = """mutation($p: ID!) { increaseProductPrice(input: {productId: $p,
      price: "9.00"}) { product { price } } }"""
    assert code(await post(world.gateway, price, manager, p=world.other_product_id)) == (
        "FORBIDDEN"
    )
    mine = added["data"]["addProduct"]["product"]["id"]
    raised = await post(world.gateway, price, manager, p=mine)
    assert raised["data"]["increaseProductPrice"]["product"]["price"] == "9.00"
    create = 'mutation { createStore(input: {name: "Mine", location: "L9"}) { store { id } } }'
    assert code(await post(world.gateway, create, manager)) == "FORBIDDEN"
    assert code(await post(world.gateway, price, world.a.headers, p=mine)) == "FORBIDDEN"


async def test_a_bot_sees_available_lists_and_works_only_for_itself(world: World) -> None:
    bot = auth_headers("bot", bot_id=world.bot_id)
    lists = "{ availableShoppingLists { edges { node { id } } } }"
    body = await post(world.gateway, lists, bot)
    assert "errors" not in body, body
    assert code(await post(world.gateway, lists, world.a.headers)) == "FORBIDDEN"
    list_id = body["data"]["availableShoppingLists"]["edges"][0]["node"]["id"]
    assign = """mutation($l: ID!, $b: ID!) { assignShoppingList(input: {shoppingListId: $l,
      botId: $b}) { shoppingList { status } } }"""
    other = str(uuid.uuid4())
    assert code(await post(world.gateway, assign, bot, l=list_id, b=other)) == "FORBIDDEN"
    other_bot = await world.mall.call("POST", "depot", "/bots", {"name": "Other"}, 201)
    assert "errors" not in await post(world.gateway, assign, ADMIN, l=list_id, b=other_bot["id"])
    complete = """mutation($l: ID!) { completeShoppingList(input: {shoppingListId: $l}) {
      shoppingList { status } } }"""
    assert code(await post(world.gateway, complete, bot, l=list_id)) == "FORBIDDEN"
    register = 'mutation { registerBot(input: {name: "Mine"}) { bot { id } } }'
    assert code(await post(world.gateway, register, bot)) == "FORBIDDEN"


# --- the internal API ---


async def test_the_backend_refuses_calls_without_the_service_credential(world: World) -> None:
    from backend.platform.principal import forward
    from tests.support.auth import INTERNAL_TOKEN

    async with httpx.AsyncClient(base_url=world.backend.url) as http:
        assert (await http.get("/healthz")).status_code == 200
        for path in (
            f"/api/ordering/{world.a.order_id}",
            "/api/stores",
            "/api/stores/openapi.json",
        ):
            refused = await http.get(path)
            assert refused.status_code == 401
            assert refused.json()["code"] == "UNAUTHENTICATED"
            wrong = await http.get(path, headers={"authorization": "Bearer guess"})
            assert wrong.status_code == 401
        a = Principal("customer", customer_id=world.a.customer_id)
        forged = {
            "authorization": f"Bearer {INTERNAL_TOKEN}",
            "x-mallbots-principal": forward(
                Principal("admin"), "not-the-internal-token-but-32-bytes-long"
            ),
        }
        assert (
            await http.get(f"/api/ordering/{world.b.order_id}", headers=forged)
        ).status_code == 401
        as_a = backend_headers(a)
        assert (
            await http.get(f"/api/ordering/{world.a.order_id}", headers=as_a)
        ).status_code == 200
        for path in (
            f"/api/ordering/{world.b.order_id}",
            f"/api/baskets/{world.b.basket_id}",
            f"/api/customers/{world.b.customer_id}",
            f"/api/payments/{world.b.payment_id}",
            f"/api/cosec/sagas/{world.b.order_id}",
            f"/api/search/orders/{world.b.order_id}",
        ):
            hidden = await http.get(path, headers=as_a)
            assert hidden.status_code == 404, path
        foreign = await http.get(
            "/api/notifications", params={"customer_id": world.b.customer_id}, headers=as_a
        )
        assert foreign.json() == {"notifications": []}
        disable = await http.put(
            f"/api/customers/{world.a.customer_id}/disable", json={}, headers=as_a
        )
        assert disable.status_code == 403
