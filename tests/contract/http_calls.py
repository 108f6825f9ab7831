"""Every backend call the gateway makes, as a table: the consumer side of the HTTP pacts.

One ``Call`` per interaction: what the gateway sends (the same method, path, query and body as
the resolver or DataLoader in ``gateway/``), the provider state it needs, what it expects back
(loosely: types, regexes, ``each_like``), and how the gateway reads the answer: ``decode`` is the
gateway's own ``from_backend`` for a success, ``code`` the GraphQL error code it maps an error to.
Paths are relative to ``/api``; ``{name}`` and ``Ref(name)`` are ids the provider state creates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pact import match

from gateway.schema.baskets import Basket
from gateway.schema.customers import Customer
from gateway.schema.depot import Bot, ShoppingList
from gateway.schema.notifications import Notification
from gateway.schema.ordering import Order, Saga
from gateway.schema.payments import Invoice, Payment
from gateway.schema.search import OrderSummary
from gateway.schema.stores import Product, Store
from tests.contract.matching import (
    EXAMPLE_IDS,
    MISSING_ID,
    Ref,
    money,
    one_of,
    timestamp,
    uuid,
)

ID = EXAMPLE_IDS


@dataclass(frozen=True)
class Call:
    provider: str
    """The backend module (its pact participant is ``<module>-api``)."""
    description: str
    state: str
    method: str
    path: str
    status: int
    response: Any = None
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    decode: Callable[[Any], object] | None = None
    code: str | None = None
    role: str = "admin"
    """Who the gateway forwards as the principal (``customer``: a customer who owns nothing;
    a state may give its own principal, e.g. a customer it registered)."""


def error(code: str, example: str) -> dict[str, Any]:
    return {"code": code, "message": match.str(example)}


STORE = {
    "id": uuid(ID["store_id"]),
    "name": match.str("Waldorf Books"),
    "location": match.str("West Upper Level"),
    "participating": match.bool(True),
}
PRODUCT = {
    "id": uuid(ID["product_id"]),
    "store_id": uuid(ID["store_id"]),
    "name": match.str("EDA with Golang"),
    "description": match.str(""),
    "sku": match.str("1234"),
    "price": money(),
}
CUSTOMER = {
    "id": uuid(ID["customer_id"]),
    "name": match.str("Buyer #1"),
    "sms_number": match.str("555-1212"),
    "enabled": match.bool(True),
}
ITEM = {
    "store_id": uuid(ID["store_id"]),
    "product_id": uuid(ID["product_id"]),
    "store_name": match.str("Waldorf Books"),
    "product_name": match.str("EDA with Golang"),
    "price": money(),
    "quantity": match.int(2),
}
BASKET_STATUSES = ("open", "canceled", "checked_out")


def basket(status: str) -> dict[str, Any]:
    return {
        "id": uuid(ID["basket_id"]),
        "customer_id": uuid(ID["customer_id"]),
        "payment_id": match.str(""),
        "status": one_of(status, *BASKET_STATUSES),
        "items": match.each_like(ITEM) if status == "open" else [],
        "total": money("99.98" if status == "open" else "0.00"),
    }


ORDER_STATUSES = ("pending", "rejected", "approved", "ready", "completed", "cancelled")
ORDER = {
    "id": uuid(ID["order_id"]),
    "customer_id": uuid(ID["customer_id"]),
    "payment_id": uuid(ID["payment_id"]),
    "basket_id": uuid(ID["basket_id"]),
    "invoice_id": match.str(""),
    "shopping_id": uuid(ID["list_id"]),
    "items": match.each_like(ITEM),
    "total": money(),
    "status": one_of("approved", *ORDER_STATUSES),
    "created_at": timestamp(),
    "updated_at": timestamp(),
}
SAGA = {
    "name": match.str("cosec.CreateOrder"),
    "step": match.int(5),
    "compensating": match.bool(False),
    "done": match.bool(True),
    "history": match.each_like(
        {
            "step": match.int(1),
            "direction": one_of("forward", "forward", "compensate"),
            "command": match.str("customersapi.AuthorizeCustomer"),
            "outcome": one_of("SUCCESS", "PENDING", "SUCCESS", "FAILURE"),
            "at": timestamp(),
            "error": match.str(""),
        }
    ),
}
SHOPPING_LIST_STATUSES = ("pending", "available", "assigned", "completed", "canceled")


def shopping_list(status: str) -> dict[str, Any]:
    return {
        "id": uuid(ID["list_id"]),
        "order_id": uuid(ID["order_id"]),
        "status": one_of(status, *SHOPPING_LIST_STATUSES),
        "stops": match.each_like(
            {
                "store_id": uuid(ID["store_id"]),
                "store_name": match.str("Waldorf Books"),
                "store_location": match.str("West Upper Level"),
                "items": match.each_like(
                    {
                        "product_id": uuid(ID["product_id"]),
                        "product_name": match.str("EDA with Golang"),
                        "quantity": match.int(2),
                    }
                ),
            }
        ),
        "created_at": timestamp(),
        "updated_at": timestamp(),
    }


BOT = {
    "id": uuid(ID["bot_id"]),
    "name": match.str("Robbie"),
    "status": one_of("idle", "idle", "busy"),
}
PAYMENT = {"id": uuid(ID["payment_id"]), "customer_id": uuid(ID["customer_id"]), "amount": money()}
INVOICE = {
    "id": uuid(ID["order_id"]),
    "order_id": uuid(ID["order_id"]),
    "amount": money(),
    "status": one_of("pending", "pending", "paid", "canceled"),
}
NOTIFICATION = {
    "id": uuid(),
    "customer_id": uuid(ID["customer_id"]),
    "order_id": uuid(ID["order_id"]),
    "kind": one_of(
        "order_created", "order_created", "order_ready", "order_canceled", "order_completed"
    ),
    "sms_number": match.str("555-1212"),
    "message": match.str("Hi Buyer #1, your order is ready."),
    "sent_at": timestamp(),
}
SUMMARY = {
    "order_id": uuid(ID["order_id"]),
    "customer_id": uuid(ID["customer_id"]),
    "customer_name": match.str("Buyer #1"),
    "items": match.each_like(ITEM),
    "total": money(),
    "status": one_of("approved", *ORDER_STATUSES),
    "created_at": timestamp(),
    "updated_at": timestamp(),
}
CREATED = {"id": uuid()}
DONE: dict[str, Any] = {}


def one(key: str, decode: Callable[[Any], object]) -> Callable[[Any], object]:
    return lambda data: decode(data[key])


def each(key: str, decode: Callable[[Any], object]) -> Callable[[Any], object]:
    def read(data: Any) -> object:
        assert data[key], f"{key}: the example list is empty"
        return [decode(row) for row in data[key]]

    return read


def created(data: Any) -> object:
    return str(data["id"])


STORE_EXISTS = "a participating store with a product exists"
STORE_NOT_PARTICIPATING = "a store that does not participate exists"
CUSTOMER_EXISTS = "a customer exists"
CUSTOMER_DISABLED = "a disabled customer exists"
OPEN_BASKET = "an open basket with an item exists"
PAYMENT_EXISTS = "a customer with an authorized payment for a basket with an item exists"
APPROVED = "an order is approved and its shopping list is available"
BOT_IDLE = "an idle bot exists"
BOT_BUSY = "a bot is shopping a list and another list is available"
LIST_ASSIGNED = "a shopping list is assigned to a bot"
READY = "an order is ready and its invoice pending"
COMPLETED = "an order is completed"
NOTHING = "nothing exists"
NO_CREDENTIAL = "the gateway sends no service credential"
"""Verified in a run of its own: every other run sends the service credential."""
SELF_REGISTERED = "a signed-in customer has registered"


def refused(module: str, what: str, method: str, path: str, **extra: Any) -> Call:
    """A call the backend refuses to a principal without the role it needs."""
    return Call(module, f"{what} without the role it needs", extra.pop("state", NOTHING), method,
                path, 403, error("FORBIDDEN", "you are not allowed to do this"),
                code="FORBIDDEN", role=extra.pop("role", "customer"), **extra)  # fmt: skip


NO_ID = "00000000-0000-4000-8000-000000000401"


def unauthenticated(module: str, path: str, method: str = "GET", body: Any = None) -> Call:
    """A gateway without the service credential gets nothing from the backend."""
    return Call(module, f"{method} {path} without the service credential", NO_CREDENTIAL,
                method, path, 401, error("UNAUTHENTICATED", "a service credential is required"),
                body=body, code="UNAUTHENTICATED")  # fmt: skip


# fmt: off
CALLS: tuple[Call, ...] = (
    # stores: queries (resolvers and the stores/products DataLoaders)
    Call("stores", "get a store", STORE_EXISTS, "GET", "/stores/{store_id}", 200,
         {"store": STORE}, decode=one("store", Store.from_backend)),
    Call("stores", "get a store that does not exist", NOTHING, "GET", f"/stores/{MISSING_ID}",
         404, error("NOT_FOUND", "store with id: `x` does not exist"), code="NOT_FOUND"),
    Call("stores", "list the participating stores", STORE_EXISTS, "GET", "/stores", 200,
         {"stores": match.each_like(STORE)}, query={"participating": "true"},
         decode=each("stores", Store.from_backend)),
    Call("stores", "load stores by id", STORE_EXISTS, "GET", "/stores", 200,
         {"stores": match.each_like(STORE)}, query={"ids": Ref("store_id")},
         decode=each("stores", Store.from_backend)),
    Call("stores", "get a product", STORE_EXISTS, "GET", "/stores/products/{product_id}", 200,
         {"product": PRODUCT}, decode=one("product", Product.from_backend)),
    Call("stores", "get a product that does not exist", NOTHING, "GET",
         f"/stores/products/{MISSING_ID}", 404,
         error("NOT_FOUND", "product with id: `x` does not exist"), code="NOT_FOUND"),
    Call("stores", "load products by id", STORE_EXISTS, "GET", "/stores/products", 200,
         {"products": match.each_like(PRODUCT)}, query={"ids": Ref("product_id")},
         decode=each("products", Product.from_backend)),
    Call("stores", "get a store's catalog", STORE_EXISTS, "GET", "/stores/{store_id}/products",
         200, {"products": match.each_like(PRODUCT)},
         decode=each("products", Product.from_backend)),
    unauthenticated("stores", f"/stores/{NO_ID}"),
    # stores: commands
    refused("stores", "create a store", "POST", "/stores",
            body={"name": "Waldorf Books", "location": "Lower Level"}),
    Call("stores", "create a store", NOTHING, "POST", "/stores", 201, CREATED,
         body={"name": "Waldorf Books", "location": "West Upper Level"}, decode=created),
    Call("stores", "create a store without a name", NOTHING, "POST", "/stores", 400,
         error("BAD_REQUEST", "the store name cannot be blank"),
         body={"name": "", "location": "West Upper Level"}, code="BAD_REQUEST"),
    Call("stores", "enable a store's participation", STORE_NOT_PARTICIPATING, "PUT",
         "/stores/{store_id}/participating", 200, DONE, body={}),
    Call("stores", "enable the participation of a participating store", STORE_EXISTS, "PUT",
         "/stores/{store_id@1}/participating", 400,
         error("BAD_REQUEST", "the store is already participating"), body={},
         code="BAD_REQUEST"),
    Call("stores", "disable a store's participation", STORE_EXISTS, "DELETE",
         "/stores/{store_id}/participating", 200, DONE, body={}),
    Call("stores", "rebrand a store", STORE_EXISTS, "PUT", "/stores/{store_id}/rebrand", 200,
         DONE, body={"name": "Waldorf Books & Games"}),
    Call("stores", "add a product", STORE_EXISTS, "POST", "/stores/{store_id}/products", 201,
         CREATED, body={"name": "EDA with Golang", "price": "49.99", "description": "a book",
                        "sku": "1234"}, decode=created),
    Call("stores", "add a product to a store that does not exist", NOTHING, "POST",
         f"/stores/{MISSING_ID}/products", 404,
         error("NOT_FOUND", "store with id: `x` does not exist"),
         body={"name": "EDA with Golang", "price": "49.99", "description": "", "sku": ""},
         code="NOT_FOUND"),
    Call("stores", "rebrand a product", STORE_EXISTS, "PUT",
         "/stores/products/{product_id}/rebrand", 200, DONE,
         body={"name": "EDA with Go", "description": "2nd edition"}),
    Call("stores", "increase a product's price", STORE_EXISTS, "PUT",
         "/stores/products/{product_id}/increasePrice", 200, DONE, body={"price": "59.99"}),
    Call("stores", "increase a product's price to a lower price", STORE_EXISTS, "PUT",
         "/stores/products/{product_id}/increasePrice", 400,
         error("BAD_REQUEST", "the price change would be a decrease"), body={"price": "1.00"},
         code="BAD_REQUEST"),
    Call("stores", "decrease a product's price", STORE_EXISTS, "PUT",
         "/stores/products/{product_id}/decreasePrice", 200, DONE, body={"price": "39.99"}),
    Call("stores", "remove a product", STORE_EXISTS, "DELETE", "/stores/products/{product_id}",
         200, DONE, body={}),
    # customers
    Call("customers", "get a customer", CUSTOMER_EXISTS, "GET", "/customers/{customer_id}", 200,
         {"customer": CUSTOMER}, decode=one("customer", Customer.from_backend)),
    Call("customers", "get a customer that does not exist", NOTHING, "GET",
         f"/customers/{MISSING_ID}", 404,
         error("NOT_FOUND", "customer with id: `x` does not exist"), code="NOT_FOUND"),
    Call("customers", "load customers by id", CUSTOMER_EXISTS, "GET", "/customers", 200,
         {"customers": match.each_like(CUSTOMER)}, query={"ids": Ref("customer_id")},
         decode=each("customers", Customer.from_backend)),
    Call("customers", "register a customer", NOTHING, "POST", "/customers", 201, CREATED,
         body={"name": "Buyer #1", "sms_number": "555-1212"}, decode=created),
    Call("customers", "register a signed-in customer again", SELF_REGISTERED, "POST",
         "/customers", 409, error("CONFLICT", "the customer is already registered"),
         body={"name": "Buyer #2", "sms_number": "555-1313"}, code="CONFLICT", role="self"),
    refused("customers", "disable a customer", "PUT", "/customers/{customer_id@2}/disable",
            state=CUSTOMER_EXISTS, body={}),
    unauthenticated("customers", f"/customers/{NO_ID}"),
    Call("customers", "enable a customer", CUSTOMER_DISABLED, "PUT",
         "/customers/{customer_id}/enable", 200, DONE, body={}),
    Call("customers", "disable a customer", CUSTOMER_EXISTS, "PUT",
         "/customers/{customer_id}/disable", 200, DONE, body={}),
    Call("customers", "enable an enabled customer", CUSTOMER_EXISTS, "PUT",
         "/customers/{customer_id@1}/enable", 400,
         error("BAD_REQUEST", "the customer is already enabled"), body={}, code="BAD_REQUEST"),
    Call("customers", "change a customer's SMS number", CUSTOMER_EXISTS, "PUT",
         "/customers/{customer_id}/change-sms", 200, DONE, body={"sms_number": "555-0000"}),
    # baskets
    Call("baskets", "get a basket", OPEN_BASKET, "GET", "/baskets/{basket_id}", 200,
         {"basket": basket("open")}, decode=one("basket", Basket.from_backend)),
    Call("baskets", "get a basket that does not exist", NOTHING, "GET",
         f"/baskets/{MISSING_ID}", 404,
         error("NOT_FOUND", "basket with id: `x` does not exist"), code="NOT_FOUND"),
    Call("baskets", "start a basket", CUSTOMER_EXISTS, "POST", "/baskets", 201, CREATED,
         body={"customer_id": Ref("customer_id")}, decode=created),
    refused("baskets", "start a basket for another customer", "POST", "/baskets",
            state=CUSTOMER_EXISTS, body={"customer_id": Ref("customer_id", 2)}),
    unauthenticated("baskets", f"/baskets/{NO_ID}"),
    Call("baskets", "add an item to a basket", OPEN_BASKET, "PUT", "/baskets/{basket_id}/addItem",
         200, {"basket": basket("open")},
         body={"product_id": Ref("product_id"), "quantity": 1},
         decode=one("basket", Basket.from_backend)),
    Call("baskets", "add a product that does not exist to a basket", OPEN_BASKET, "PUT",
         "/baskets/{basket_id@1}/addItem", 404,
         error("NOT_FOUND", "product with id: `x` does not exist"),
         body={"product_id": MISSING_ID, "quantity": 1}, code="NOT_FOUND"),
    Call("baskets", "remove an item from a basket", OPEN_BASKET, "PUT",
         "/baskets/{basket_id}/removeItem", 200, {"basket": basket("open")},
         body={"product_id": Ref("product_id"), "quantity": 1},
         decode=one("basket", Basket.from_backend)),
    Call("baskets", "cancel a basket", OPEN_BASKET, "DELETE", "/baskets/{basket_id}", 200,
         {"basket": basket("canceled")}, body={}),
    Call("baskets", "check out a basket", PAYMENT_EXISTS, "PUT", "/baskets/{basket_id}/checkout",
         200, {"basket": {**basket("checked_out"), "items": match.each_like(ITEM),
                          "payment_id": uuid(ID["payment_id"]), "total": money()}},
         body={"payment_id": Ref("payment_id")}),
    Call("baskets", "check out a basket that is checked out", COMPLETED, "PUT",
         "/baskets/{basket_id@1}/checkout", 400,
         error("BAD_REQUEST", "the basket cannot be modified"),
         body={"payment_id": Ref("payment_id", 1)}, code="BAD_REQUEST"),
    # ordering and its saga
    Call("ordering", "get an order", APPROVED, "GET", "/ordering/{order_id}", 200,
         {"order": ORDER}, decode=one("order", Order.from_backend)),
    Call("ordering", "get an order that does not exist", NOTHING, "GET",
         f"/ordering/{MISSING_ID}", 404,
         error("NOT_FOUND", "order with id: `x` does not exist"), code="NOT_FOUND"),
    Call("ordering", "list a customer's orders", APPROVED, "GET", "/ordering", 200,
         {"orders": match.each_like(ORDER)}, query={"customer_id": Ref("customer_id")},
         decode=each("orders", Order.from_backend)),
    Call("ordering", "cancel an order", APPROVED, "DELETE", "/ordering/{order_id}", 200, DONE,
         body={}),
    Call("ordering", "cancel a completed order", COMPLETED, "DELETE", "/ordering/{order_id@1}", 400,
         error("BAD_REQUEST", "the order cannot be cancelled"), body={}, code="BAD_REQUEST"),
    unauthenticated("ordering", f"/ordering/{NO_ID}"),
    Call("cosec", "get an order's saga", APPROVED, "GET", "/cosec/sagas/{order_id}", 200, SAGA,
         decode=Saga.from_backend),
    Call("cosec", "get the saga of an order that does not exist", NOTHING, "GET",
         f"/cosec/sagas/{MISSING_ID}", 404,
         error("NOT_FOUND", "saga with id: `x` does not exist"), code="NOT_FOUND"),
    unauthenticated("cosec", f"/cosec/sagas/{NO_ID}"),
    # payments
    Call("payments", "get a payment", PAYMENT_EXISTS, "GET", "/payments/{payment_id}", 200,
         {"payment": PAYMENT}, decode=one("payment", Payment.from_backend)),
    Call("payments", "get a payment that does not exist", NOTHING, "GET",
         f"/payments/{MISSING_ID}", 404,
         error("NOT_FOUND", "payment with id: `x` does not exist"), code="NOT_FOUND"),
    Call("payments", "authorize a payment", CUSTOMER_EXISTS, "POST", "/payments", 201, CREATED,
         body={"customer_id": Ref("customer_id"), "amount": "49.99"}, decode=created),
    refused("payments", "authorize a payment for another customer", "POST", "/payments",
            state=CUSTOMER_EXISTS, body={"customer_id": Ref("customer_id", 2), "amount": "9.99"}),
    unauthenticated("payments", f"/payments/{NO_ID}"),
    Call("payments", "get an invoice", READY, "GET", "/payments/invoices/{order_id}", 200,
         {"invoice": INVOICE}, decode=one("invoice", Invoice.from_backend)),
    Call("payments", "pay an invoice", READY, "PUT", "/payments/invoices/{order_id}/pay", 200,
         DONE, body={}),
    Call("payments", "pay a paid invoice", COMPLETED, "PUT", "/payments/invoices/{order_id@1}/pay",
         400, error("BAD_REQUEST", "the invoice is not pending"), body={}, code="BAD_REQUEST"),
    # depot
    Call("depot", "get a shopping list", APPROVED, "GET", "/depot/shopping/{list_id}", 200,
         {"shopping_list": shopping_list("available")},
         decode=one("shopping_list", ShoppingList.from_backend)),
    Call("depot", "get a shopping list that does not exist", NOTHING, "GET",
         f"/depot/shopping/{MISSING_ID}", 404,
         error("NOT_FOUND", "shopping list with id: `x` does not exist"), code="NOT_FOUND"),
    Call("depot", "list the available shopping lists", APPROVED, "GET", "/depot/shopping/available",
         200, {"shopping_lists": match.each_like(shopping_list("available"))},
         decode=each("shopping_lists", ShoppingList.from_backend)),
    Call("depot", "get a bot", BOT_IDLE, "GET", "/depot/bots/{bot_id}", 200, {"bot": BOT},
         decode=one("bot", Bot.from_backend)),
    Call("depot", "get a bot that does not exist", NOTHING, "GET", f"/depot/bots/{MISSING_ID}",
         404, error("NOT_FOUND", "bot with id: `x` does not exist"), code="NOT_FOUND"),
    Call("depot", "list the bots", BOT_IDLE, "GET", "/depot/bots", 200,
         {"bots": match.each_like(BOT)}, decode=each("bots", Bot.from_backend)),
    Call("depot", "register a bot", NOTHING, "POST", "/depot/bots", 201, CREATED,
         body={"name": "Robbie"}, decode=created),
    refused("depot", "register a bot", "POST", "/depot/bots", body={"name": "Robbie II"}),
    unauthenticated("depot", f"/depot/bots/{NO_ID}"),
    Call("depot", "assign a shopping list to a bot", f"{APPROVED} and {BOT_IDLE}", "PUT",
         "/depot/shopping/{list_id}/assign", 200, DONE, body={"bot_id": Ref("bot_id")}),
    Call("depot", "assign a shopping list to a busy bot", BOT_BUSY, "PUT",
         "/depot/shopping/{list_id@1}/assign", 409,
         error("CONFLICT", "the bot already has a shopping list"),
         body={"bot_id": Ref("bot_id")}, code="CONFLICT"),
    Call("depot", "complete a shopping list", LIST_ASSIGNED, "PUT",
         "/depot/shopping/{list_id}/complete", 200, DONE, body={}),
    # notifications and search (read models)
    unauthenticated("notifications", "/notifications"),
    Call("notifications", "list a customer's notifications", READY, "GET", "/notifications", 200,
         {"notifications": match.each_like(NOTIFICATION)},
         query={"customer_id": Ref("customer_id"), "limit": "500"},
         decode=each("notifications", Notification.from_backend)),
    Call("search", "search orders", COMPLETED, "POST", "/search/orders", 200,
         {"orders": match.each_like(SUMMARY), "next": None},
         body={"filters": {"customer_id": Ref("customer_id")}, "next": None, "limit": 20},
         decode=each("orders", OrderSummary.from_backend)),
    Call("search", "search orders with a bad filter", NOTHING, "POST", "/search/orders", 400,
         error("BAD_REQUEST", "invalid request"),
         body={"filters": {"min_total": "a lot"}, "next": None, "limit": 20}, code="BAD_REQUEST"),
    refused("search", "search orders", "POST", "/search/orders", role="bot",
            body={"filters": {}, "next": None, "limit": 20}),
    unauthenticated("search", "/search/orders", "POST", {"filters": {}, "next": None, "limit": 1}),
)
# fmt: on

PROVIDERS = tuple(dict.fromkeys(call.provider for call in CALLS))
