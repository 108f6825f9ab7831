"""Every query and mutation of the gateway, through GraphQL over HTTP only, against a real
backend running all modules; the whole mall flow from a new store to a completed order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from backend.modules import select_modules
from tests.conftest import Servers
from tests.gateway.graphql_http import data, error
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.waiting import eventually

UNKNOWN_PRODUCT = "00000000-0000-4000-8000-0000000000ab"
"""A product id no product has (ids are UUIDs: anything else is a BAD_REQUEST)."""
STORE = "id name location participating"
PRODUCT = "id storeId name description sku price"
CUSTOMER = "id name smsNumber enabled"
BASKET = """id customerId paymentId status total customer { name }
    items { productId storeId productName storeName price quantity
             product { name price } store { name } }"""
ORDER = """id customerId paymentId basketId invoiceId shoppingListId total status createdAt
    updatedAt customer { name smsNumber }
    items { productId storeId productName storeName price quantity product { name } store { name } }
    saga { name step compensating done history { step direction command outcome at error } }"""
SHOPPING_LIST = """id orderId status assignedBotId createdAt updatedAt assignedBot { id name }
    stops { storeId storeName storeLocation store { name }
            items { productId productName quantity product { name } } }"""
BOT = "id name status shoppingListId shoppingList { id status }"
SHARED_INPUTS = {
    "enableStoreParticipation": "StoreParticipationInput",
    "disableStoreParticipation": "StoreParticipationInput",
    "increaseProductPrice": "ChangeProductPriceInput",
    "decreaseProductPrice": "ChangeProductPriceInput",
}
"""The mutations of the stores schema whose input type is shared (all others: <Name>Input)."""


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


async def mutate(gateway: RunningGateway, name: str, input: dict[str, Any], fields: str) -> Any:
    """Run mutation ``name`` with ``input`` (its input type is found by name); its payload."""
    input_type = SHARED_INPUTS.get(name, f"{name[0].upper()}{name[1:]}Input")
    found = await data(
        gateway,
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {fields} }} }}",
        input=input,
    )
    return found[name]


async def store_with_product(
    gateway: RunningGateway, price: str = "49.99", name: str = "Waldorf Books"
) -> tuple[str, str]:
    created = await mutate(
        gateway,
        "createStore",
        {"name": name, "location": "West Upper Level"},
        f"store {{ {STORE} }}",
    )
    store_id = created["store"]["id"]
    await mutate(gateway, "enableStoreParticipation", {"storeId": store_id}, "store { id }")
    added = await mutate(
        gateway,
        "addProduct",
        {"storeId": store_id, "name": "EDA with Golang", "sku": "1234", "price": price},
        "product { id }",
    )
    return store_id, added["product"]["id"]


async def customer(gateway: RunningGateway, name: str = "Buyer #1") -> str:
    registered = await mutate(
        gateway, "registerCustomer", {"name": name, "smsNumber": "555-1212"}, "customer { id }"
    )
    return str(registered["customer"]["id"])


async def checked_out(
    gateway: RunningGateway, customer_id: str, product_id: str, quantity: int, amount: str
) -> dict[str, Any]:
    """Start a basket, add the product, authorize ``amount``, check out: the basket."""
    started = await mutate(gateway, "startBasket", {"customerId": customer_id}, "basket { id }")
    basket_id = started["basket"]["id"]
    await mutate(
        gateway,
        "addBasketItem",
        {"basketId": basket_id, "productId": product_id, "quantity": quantity},
        "basket { id }",
    )
    authorized = await mutate(
        gateway,
        "authorizePayment",
        {"customerId": customer_id, "amount": amount},
        "payment { id customerId amount customer { name } }",
    )
    payment = authorized["payment"]
    assert Decimal(payment["amount"]) == Decimal(amount)
    done = await mutate(
        gateway,
        "checkoutBasket",
        {"basketId": basket_id, "paymentId": payment["id"]},
        f"basket {{ {BASKET} }}",
    )
    basket: dict[str, Any] = done["basket"]
    assert basket["status"] == "CHECKED_OUT" and basket["paymentId"] == payment["id"]
    return basket


async def search(gateway: RunningGateway, filter: dict[str, Any], first: int = 20) -> Any:
    found = await data(
        gateway,
        """query($filter: OrderSearchFilter, $first: Int!) {
             searchOrders(filter: $filter, first: $first) {
               edges { cursor node { id customerId customerName total status createdAt
                                     items { productId storeId productName quantity } } }
               pageInfo { hasNextPage endCursor } } }""",
        filter=filter,
        first=first,
    )
    return found["searchOrders"]


async def the_order_of(gateway: RunningGateway, customer_id: str) -> str:
    """The id of the customer's only order, once search has indexed it."""
    found = await eventually(
        lambda: search(gateway, {"customerId": customer_id}),
        lambda page: len(page["edges"]) == 1,
        timeout=30,
    )
    return str(found["edges"][0]["node"]["id"])


async def order(gateway: RunningGateway, order_id: str) -> dict[str, Any]:
    found = await data(gateway, f"query($id: ID!) {{ order(id: $id) {{ {ORDER} }} }}", id=order_id)
    result: dict[str, Any] = found["order"]
    return result


async def order_reaches(gateway: RunningGateway, order_id: str, status: str) -> dict[str, Any]:
    return await eventually(
        lambda: order(gateway, order_id), lambda o: o["status"] == status, timeout=30
    )


# --- stores ---


async def test_store_and_product_mutations_and_queries(gateway: RunningGateway) -> None:
    created = await mutate(
        gateway,
        "createStore",
        {"name": "Corner Shop", "location": "Level 1", "idempotencyKey": "store-1"},
        f"store {{ {STORE} }}",
    )
    store = created["store"]
    assert store["participating"] is False
    again = await mutate(
        gateway,
        "createStore",
        {"name": "Corner Shop", "location": "Level 1", "idempotencyKey": "store-1"},
        "store { id }",
    )
    assert again["store"]["id"] == store["id"]
    store_id = store["id"]

    enabled = await mutate(
        gateway, "enableStoreParticipation", {"storeId": store_id}, "store { participating }"
    )
    assert enabled["store"]["participating"] is True
    rebranded = await mutate(
        gateway, "rebrandStore", {"storeId": store_id, "name": "Corner Books"}, "store { name }"
    )
    assert rebranded["store"]["name"] == "Corner Books"
    participating = await data(gateway, "{ stores(participating: true) { id } }")
    assert store_id in [s["id"] for s in participating["stores"]]
    disabled = await mutate(
        gateway, "disableStoreParticipation", {"storeId": store_id}, "store { participating }"
    )
    assert disabled["store"]["participating"] is False
    lists = await data(
        gateway,
        "{ yes: stores(participating: true) { id } no: stores(participating: false) { id } "
        "all: stores { id } }",
    )
    assert store_id not in [s["id"] for s in lists["yes"]]
    assert store_id in [s["id"] for s in lists["no"]]
    assert store_id in [s["id"] for s in lists["all"]]

    added = await mutate(
        gateway,
        "addProduct",
        {"storeId": store_id, "name": "Atlas", "price": "20.00", "description": "maps"},
        f"product {{ {PRODUCT} store {{ name }} }}",
    )
    product = added["product"]
    assert product["price"] == "20.00" and product["store"]["name"] == "Corner Books"
    product_id = product["id"]
    renamed = await mutate(
        gateway,
        "rebrandProduct",
        {"productId": product_id, "name": "World Atlas", "description": "big maps"},
        "product { name description }",
    )
    assert renamed["product"] == {"name": "World Atlas", "description": "big maps"}
    up = await mutate(
        gateway,
        "increaseProductPrice",
        {"productId": product_id, "price": "25.50"},
        "product { price }",
    )
    assert Decimal(up["product"]["price"]) == Decimal("25.50")
    down = await mutate(
        gateway,
        "decreaseProductPrice",
        {"productId": product_id, "price": "22.00"},
        "product { price }",
    )
    assert Decimal(down["product"]["price"]) == Decimal("22.00")

    found = await data(
        gateway,
        f"query($s: ID!, $p: ID!) {{ store(id: $s) {{ {STORE} }} product(id: $p) {{ {PRODUCT} }}"
        f" catalog(storeId: $s) {{ id name }} }}",
        s=store_id,
        p=product_id,
    )
    assert found["store"]["name"] == "Corner Books"
    assert found["product"]["name"] == "World Atlas"
    assert found["catalog"] == [{"id": product_id, "name": "World Atlas"}]

    removed = await mutate(gateway, "removeProduct", {"productId": product_id}, "productId")
    assert removed == {"productId": product_id}
    assert (await data(gateway, "query($s: ID!) { catalog(storeId: $s) { id } }", s=store_id)) == {
        "catalog": []
    }
    gone = await error(gateway, "query($p: ID!) { product(id: $p) { id } }", p=product_id)
    assert gone["extensions"]["code"] == "NOT_FOUND"


# --- customers ---


async def test_customer_mutations_and_query(gateway: RunningGateway) -> None:
    registered = await mutate(
        gateway,
        "registerCustomer",
        {"name": "Ada", "smsNumber": "555-0001", "idempotencyKey": "ada"},
        f"customer {{ {CUSTOMER} }}",
    )
    ada = registered["customer"]
    assert ada["enabled"] is True and ada["smsNumber"] == "555-0001"
    twice = await mutate(
        gateway,
        "registerCustomer",
        {"name": "Ada", "smsNumber": "555-0001", "idempotencyKey": "ada"},
        "customer { id }",
    )
    assert twice["customer"]["id"] == ada["id"]

    disabled = await mutate(
        gateway, "disableCustomer", {"customerId": ada["id"]}, "customer { enabled }"
    )
    assert disabled["customer"]["enabled"] is False
    enabled = await mutate(
        gateway, "enableCustomer", {"customerId": ada["id"]}, "customer { enabled }"
    )
    assert enabled["customer"]["enabled"] is True
    changed = await mutate(
        gateway,
        "changeCustomerSmsNumber",
        {"customerId": ada["id"], "smsNumber": "555-0002"},
        "customer { smsNumber }",
    )
    assert changed["customer"]["smsNumber"] == "555-0002"
    found = await data(
        gateway, f"query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}", id=ada["id"]
    )
    assert found["customer"] == {**ada, "smsNumber": "555-0002"}


# --- baskets ---


async def test_basket_mutations_and_query(gateway: RunningGateway) -> None:
    store_id, product_id = await store_with_product(gateway, "10.00", "Basket Store")
    customer_id = await customer(gateway, "Basket Buyer")
    started = await mutate(
        gateway, "startBasket", {"customerId": customer_id}, f"basket {{ {BASKET} }}"
    )
    basket = started["basket"]
    assert basket["status"] == "OPEN" and basket["items"] == [] and basket["paymentId"] is None
    assert basket["customer"] == {"name": "Basket Buyer"}

    added = await mutate(
        gateway,
        "addBasketItem",
        {"basketId": basket["id"], "productId": product_id, "quantity": 3},
        f"basket {{ {BASKET} }}",
    )
    (item,) = added["basket"]["items"]
    assert item["quantity"] == 3 and item["storeId"] == store_id
    assert item["product"] == {"name": "EDA with Golang", "price": "10.00"}
    assert item["store"] == {"name": "Basket Store"}
    assert Decimal(added["basket"]["total"]) == Decimal("30.00")

    removed = await mutate(
        gateway,
        "removeBasketItem",
        {"basketId": basket["id"], "productId": product_id, "quantity": 2},
        "basket { total items { quantity } }",
    )
    assert removed["basket"]["items"] == [{"quantity": 1}]
    assert Decimal(removed["basket"]["total"]) == Decimal("10.00")

    found = await data(
        gateway, "query($id: ID!) { basket(id: $id) { id status } }", id=basket["id"]
    )
    assert found["basket"] == {"id": basket["id"], "status": "OPEN"}
    cancelled = await mutate(
        gateway, "cancelBasket", {"basketId": basket["id"]}, "basket { status }"
    )
    assert cancelled["basket"]["status"] == "CANCELED"
    refused = await error(
        gateway,
        "mutation($input: AddBasketItemInput!) { addBasketItem(input: $input) { basket { id } } }",
        input={"basketId": basket["id"], "productId": product_id},
    )
    assert refused["message"] == "the basket cannot be modified"
    assert refused["extensions"]["code"] == "BAD_REQUEST"


# --- the whole flow: ordering, cosec, depot, payments, search, notifications ---


async def test_the_whole_mall_flow_through_graphql(gateway: RunningGateway) -> None:
    store_id, product_id = await store_with_product(gateway, "49.99")
    customer_id = await customer(gateway, "Flow Buyer")
    basket = await checked_out(gateway, customer_id, product_id, 2, "99.98")

    order_id = await the_order_of(gateway, customer_id)
    approved = await order_reaches(gateway, order_id, "APPROVED")
    assert approved["customerId"] == customer_id and approved["basketId"] == basket["id"]
    assert approved["paymentId"] == basket["paymentId"]
    assert Decimal(approved["total"]) == Decimal("99.98")
    assert approved["customer"] == {"name": "Flow Buyer", "smsNumber": "555-1212"}
    (item,) = approved["items"]
    assert item["productId"] == product_id and item["storeId"] == store_id
    assert item["quantity"] == 2 and item["product"] == {"name": "EDA with Golang"}
    assert item["store"] == {"name": "Waldorf Books"}
    saga = (
        await eventually(lambda: order(gateway, order_id), lambda o: o["saga"]["done"], timeout=30)
    )["saga"]
    assert saga["compensating"] is False and saga["name"]
    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "SUCCESS"),
        ("depotapi.CreateShoppingListCommand", "SUCCESS"),
        ("paymentsapi.ConfirmPayment", "SUCCESS"),
        ("depotapi.InitiateShoppingCommand", "SUCCESS"),
        ("ordersapi.ApproveOrder", "SUCCESS"),
    ]
    assert all(h["direction"] == "forward" and h["error"] == "" for h in saga["history"])
    list_id = approved["shoppingListId"]
    assert list_id is not None

    bot = (await mutate(gateway, "registerBot", {"name": "Robbie"}, f"bot {{ {BOT} }}"))["bot"]
    assert bot["status"] == "IDLE" and bot["shoppingList"] is None
    available = await data(
        gateway, "{ availableShoppingLists(first: 100) { edges { node { id orderId status } } } }"
    )
    nodes = [e["node"] for e in available["availableShoppingLists"]["edges"]]
    assert {"id": list_id, "orderId": order_id, "status": "AVAILABLE"} in nodes
    waiting = await data(
        gateway, f"query($id: ID!) {{ shoppingList(id: $id) {{ {SHOPPING_LIST} }} }}", id=list_id
    )
    assert waiting["shoppingList"]["assignedBot"] is None
    (stop,) = waiting["shoppingList"]["stops"]
    assert stop["storeId"] == store_id and stop["store"] == {"name": "Waldorf Books"}
    assert stop["items"] == [
        {"productId": product_id, "productName": "EDA with Golang", "quantity": 2,
         "product": {"name": "EDA with Golang"}}
    ]  # fmt: skip

    assigned = await mutate(
        gateway,
        "assignShoppingList",
        {"shoppingListId": list_id, "botId": bot["id"]},
        "shoppingList { status assignedBotId assignedBot { name } }",
    )
    assert assigned["shoppingList"] == {
        "status": "ASSIGNED", "assignedBotId": bot["id"], "assignedBot": {"name": "Robbie"}
    }  # fmt: skip
    busy = await data(gateway, f"query($id: ID!) {{ bot(id: $id) {{ {BOT} }} }}", id=bot["id"])
    assert busy["bot"]["status"] == "BUSY"
    assert busy["bot"]["shoppingList"] == {"id": list_id, "status": "ASSIGNED"}
    bots = await data(gateway, "{ bots(first: 100) { edges { node { id name } } } }")
    assert {"id": bot["id"], "name": "Robbie"} in [e["node"] for e in bots["bots"]["edges"]]

    completed_list = await mutate(
        gateway, "completeShoppingList", {"shoppingListId": list_id}, "shoppingList { status }"
    )
    assert completed_list["shoppingList"]["status"] == "COMPLETED"
    found_list = await data(
        gateway, f"query($id: ID!) {{ shoppingList(id: $id) {{ {SHOPPING_LIST} }} }}", id=list_id
    )
    assert found_list["shoppingList"]["status"] == "COMPLETED"

    await order_reaches(gateway, order_id, "READY")
    invoice_query = "query($id: ID!) { invoice(id: $id) { id orderId amount status } }"

    async def invoice() -> dict[str, Any]:
        return await data(gateway, invoice_query, id=order_id)

    issued = await eventually(invoice, lambda r: True, timeout=30)
    assert issued["invoice"]["status"] == "PENDING" and issued["invoice"]["orderId"] == order_id
    assert Decimal(issued["invoice"]["amount"]) == Decimal("99.98")
    paid = await mutate(gateway, "payInvoice", {"invoiceId": order_id}, "invoice { status }")
    assert paid["invoice"]["status"] == "PAID"

    completed = await order_reaches(gateway, order_id, "COMPLETED")
    assert completed["invoiceId"] == order_id

    payment = await data(
        gateway, "query($id: ID!) { payment(id: $id) { id customerId amount } }",
        id=basket["paymentId"],
    )  # fmt: skip
    assert payment["payment"]["customerId"] == customer_id
    found_basket = await data(
        gateway, "query($id: ID!) { basket(id: $id) { status } }", id=basket["id"]
    )
    assert found_basket["basket"]["status"] == "CHECKED_OUT"

    hit = await eventually(
        lambda: search(gateway, {"customerId": customer_id}),
        lambda page: page["edges"][0]["node"]["status"] == "COMPLETED",
    )
    node = hit["edges"][0]["node"]
    assert node["customerName"] == "Flow Buyer" and Decimal(node["total"]) == Decimal("99.98")
    assert node["items"] == [
        {"productId": product_id, "storeId": store_id, "productName": "EDA with Golang",
         "quantity": 2}
    ]  # fmt: skip

    notifications_query = """query($id: ID!) { notifications(customerId: $id, first: 10) {
        edges { node { id customerId orderId kind smsNumber message sentAt } } } }"""
    log = await eventually(
        lambda: data(gateway, notifications_query, id=customer_id),
        lambda r: (
            {"ORDER_CREATED", "ORDER_READY", "ORDER_COMPLETED"}
            <= {e["node"]["kind"] for e in r["notifications"]["edges"]}
        ),
    )
    nodes = [e["node"] for e in log["notifications"]["edges"]]
    assert all(n["orderId"] == order_id and n["smsNumber"] == "555-1212" for n in nodes)
    assert all("Flow Buyer" in n["message"] for n in nodes)


async def test_cancel_order(gateway: RunningGateway) -> None:
    _, product_id = await store_with_product(gateway)
    customer_id = await customer(gateway, "Canceller")
    await checked_out(gateway, customer_id, product_id, 1, "49.99")
    order_id = await the_order_of(gateway, customer_id)
    approved = await order_reaches(gateway, order_id, "APPROVED")

    cancelled = await mutate(gateway, "cancelOrder", {"orderId": order_id}, "order { id status }")
    assert cancelled["order"] == {"id": order_id, "status": "CANCELLED"}
    list_query = "query($id: ID!) { shoppingList(id: $id) { status } }"
    await eventually(
        lambda: data(gateway, list_query, id=approved["shoppingListId"]),
        lambda r: r["shoppingList"]["status"] == "CANCELED",
    )
    again = await error(
        gateway,
        "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id } } }",
        input={"orderId": order_id},
    )
    assert again["message"] == "the order cannot be cancelled"
    assert again["extensions"]["code"] == "BAD_REQUEST"


async def test_order_saga_is_null_while_there_is_none(
    gateway: RunningGateway, backend: RunningBackend
) -> None:
    _, product_id = await store_with_product(gateway)
    customer_id = await customer(gateway, "Sagaless")
    await checked_out(gateway, customer_id, product_id, 1, "49.99")
    order_id = await the_order_of(gateway, customer_id)
    await eventually(lambda: order(gateway, order_id), lambda o: o["saga"] is not None)
    sagas = backend.context("cosec").store.table("sagas")
    await backend.sql(f"DELETE FROM {sagas} WHERE id = %s", (order_id,))

    assert (await order(gateway, order_id))["saga"] is None


# --- search: every filter, and the connection's cursors ---


@pytest.fixture(scope="module")
async def two_orders(gateway: RunningGateway) -> dict[str, Any]:
    """Two approved orders in two new stores: a cheap one, then a dear one."""
    cheap_store, cheap_product = await store_with_product(gateway, "5.00", "Cheap Store")
    dear_store, dear_product = await store_with_product(gateway, "100.00", "Dear Store")
    cheap_customer = await customer(gateway, "Cheap Buyer")
    dear_customer = await customer(gateway, "Dear Buyer")
    await checked_out(gateway, cheap_customer, cheap_product, 1, "5.00")
    cheap_order = await the_order_of(gateway, cheap_customer)
    await checked_out(gateway, dear_customer, dear_product, 2, "200.00")
    dear_order = await the_order_of(gateway, dear_customer)
    stores = [cheap_store, dear_store]
    await eventually(
        lambda: search(gateway, {"storeIds": stores, "status": "APPROVED"}),
        lambda page: len(page["edges"]) == 2,
        timeout=30,
    )
    return {
        "stores": stores,
        "cheap": {"order": cheap_order, "customer": cheap_customer, "product": cheap_product,
                  "store": cheap_store},
        "dear": {"order": dear_order, "customer": dear_customer, "product": dear_product,
                 "store": dear_store},
    }  # fmt: skip


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_search_orders_by_each_filter(
    gateway: RunningGateway, two_orders: dict[str, Any]
) -> None:
    stores, cheap, dear = two_orders["stores"], two_orders["cheap"], two_orders["dear"]
    both = await search(gateway, {"storeIds": stores})
    assert ids(both) == [dear["order"], cheap["order"]]  # newest first
    dear_created = both["edges"][0]["node"]["createdAt"]

    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"customerId": cheap["customer"]}, [cheap["order"]]),
        ({"storeIds": [dear["store"]]}, [dear["order"]]),
        ({"productIds": [cheap["product"], UNKNOWN_PRODUCT]}, [cheap["order"]]),
        ({"storeIds": stores, "minTotal": "200.00"}, [dear["order"]]),
        ({"storeIds": stores, "maxTotal": "199.99"}, [cheap["order"]]),
        ({"storeIds": stores, "minTotal": "5", "maxTotal": "200"}, [dear["order"], cheap["order"]]),
        ({"storeIds": stores, "status": "APPROVED"}, [dear["order"], cheap["order"]]),
        ({"storeIds": stores, "status": "PENDING"}, []),
        ({"storeIds": stores, "after": dear_created}, [dear["order"]]),
        ({"storeIds": stores, "before": dear_created}, [cheap["order"]]),
        ({"customerId": dear["customer"], "productIds": [cheap["product"]]}, []),
    ]
    for filter, expected in cases:
        assert ids(await search(gateway, filter)) == expected, filter


async def test_search_orders_pages_with_cursors(
    gateway: RunningGateway, two_orders: dict[str, Any]
) -> None:
    stores, cheap, dear = two_orders["stores"], two_orders["cheap"], two_orders["dear"]
    query = """query($filter: OrderSearchFilter, $first: Int!, $after: String) {
        searchOrders(filter: $filter, first: $first, after: $after) {
          edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""

    async def page(first: int, after: str | None) -> Any:
        found = await data(gateway, query, filter={"storeIds": stores}, first=first, after=after)
        return found["searchOrders"]

    one = await page(1, None)
    assert ids(one) == [dear["order"]] and one["pageInfo"]["hasNextPage"] is True
    two = await page(1, one["pageInfo"]["endCursor"])
    assert ids(two) == [cheap["order"]] and two["pageInfo"]["hasNextPage"] is False
    assert ids(await page(5, two["pageInfo"]["endCursor"])) == []

    whole = await page(5, None)
    assert ids(whole) == [dear["order"], cheap["order"]]
    assert whole["pageInfo"] == {"hasNextPage": False, "endCursor": whole["edges"][1]["cursor"]}
    after_first_edge = await page(5, whole["edges"][0]["cursor"])
    assert ids(after_first_edge) == [cheap["order"]]

    other_filters = await error(
        gateway, query, filter={"storeIds": [dear["store"]]}, first=1,
        after=one["pageInfo"]["endCursor"],
    )  # fmt: skip
    assert other_filters["message"] == "the cursor belongs to a search with other filters"
    assert other_filters["extensions"]["code"] == "BAD_REQUEST"
    garbled = await error(gateway, query, filter=None, first=1, after="not a cursor")
    assert garbled["extensions"] == {"code": "BAD_REQUEST", "field": "after"}
    too_many = await error(gateway, query, filter=None, first=101, after=None)
    assert too_many["message"] == "first must be between 1 and 100"
    assert too_many["extensions"] == {"code": "BAD_REQUEST", "field": "first"}


async def test_a_busy_bot_is_a_conflict(
    gateway: RunningGateway, two_orders: dict[str, Any]
) -> None:
    lists = []
    for which in ("cheap", "dear"):
        found = await order(gateway, two_orders[which]["order"])
        lists.append(found["shoppingListId"])
    bot = (await mutate(gateway, "registerBot", {"name": "Busy Bee"}, "bot { id }"))["bot"]
    query = """mutation($input: AssignShoppingListInput!) {
        assignShoppingList(input: $input) { shoppingList { status } } }"""
    first = await data(gateway, query, input={"shoppingListId": lists[0], "botId": bot["id"]})
    assert first["assignShoppingList"]["shoppingList"]["status"] == "ASSIGNED"

    refused = await error(gateway, query, input={"shoppingListId": lists[1], "botId": bot["id"]})
    assert refused["message"] == "the bot already has a shopping list"
    assert refused["extensions"]["code"] == "CONFLICT"
