"""The stores module over HTTP on real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.stores.messages import PRODUCT_TOPIC, STORE_TOPIC
from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [stores]) as running:
        yield running


async def create_store(backend: RunningBackend, name: str = "Waldorf Books") -> str:
    response = await backend.http.post(
        "/api/stores", json={"name": name, "location": "West Upper Level"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_store_lifecycle_updates_read_models_and_publishes(backend: RunningBackend) -> None:
    store_id = await create_store(backend)
    assert (
        await backend.http.put(f"/api/stores/{store_id}/participating", json={})
    ).status_code == 200
    assert (
        await backend.http.put(f"/api/stores/{store_id}/rebrand", json={"name": "Books+"})
    ).status_code == 200
    store = (await backend.http.get(f"/api/stores/{store_id}")).json()["store"]
    assert store == {
        "id": store_id,
        "name": "Books+",
        "location": "West Upper Level",
        "participating": True,
    }
    participating = (await backend.http.get("/api/stores?participating=true")).json()["stores"]
    assert store_id in [s["id"] for s in participating]

    messages = await eventually(
        lambda: backend.published(STORE_TOPIC),
        lambda ms: len([m for m in ms if m.payload["id"] == store_id]) == 3,
    )
    mine = [m for m in messages if m.payload["id"] == store_id]
    assert [m.name for m in mine] == [
        "storesapi.StoreCreated",
        "storesapi.StoreParticipatingToggled",
        "storesapi.StoreRebranded",
    ]
    assert mine[1].payload == {"id": store_id, "participating": True}


async def test_catalog_and_price_changes(backend: RunningBackend) -> None:
    store_id = await create_store(backend, "Catalog Store")
    response = await backend.http.post(
        f"/api/stores/{store_id}/products",
        json={"name": "EDA with Golang", "sku": "1234", "price": "49.99"},
    )
    assert response.status_code == 201, response.text
    product_id = response.json()["id"]
    assert (
        await backend.http.put(
            f"/api/stores/products/{product_id}/increasePrice", json={"price": "59.99"}
        )
    ).status_code == 200
    assert (
        await backend.http.put(
            f"/api/stores/products/{product_id}/decreasePrice", json={"price": "39.50"}
        )
    ).status_code == 200
    product = (await backend.http.get(f"/api/stores/products/{product_id}")).json()["product"]
    assert product["price"] == "39.50"
    catalog = (await backend.http.get(f"/api/stores/{store_id}/products")).json()["products"]
    assert [p["id"] for p in catalog] == [product_id]

    messages = await eventually(
        lambda: backend.published(PRODUCT_TOPIC),
        lambda ms: len([m for m in ms if m.payload["id"] == product_id]) == 3,
    )
    mine = [m for m in messages if m.payload["id"] == product_id]
    assert mine[0].payload["id"] == product_id, "ProductAdded carries the product id (S1)"
    assert mine[1].payload == {"id": product_id, "delta": "10.00", "price": "59.99"}
    assert mine[2].payload == {"id": product_id, "delta": "-20.49", "price": "39.50"}

    assert (
        await backend.http.request("DELETE", f"/api/stores/products/{product_id}", json={})
    ).status_code == 200
    assert (await backend.http.get(f"/api/stores/products/{product_id}")).status_code == 404
    again = await backend.http.request("DELETE", f"/api/stores/products/{product_id}", json={})
    assert again.status_code == 400
    assert again.json()["message"] == "the product has been removed"


async def test_idempotency_key_returns_the_first_result(backend: RunningBackend) -> None:
    body = {"name": "Once", "location": "L1", "idempotency_key": "k-1"}
    first = await backend.http.post("/api/stores", json=body)
    second = await backend.http.post("/api/stores", json=body)
    assert first.json() == second.json()
    stores_named = [
        s for s in (await backend.http.get("/api/stores")).json()["stores"] if s["name"] == "Once"
    ]
    assert len(stores_named) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/stores", {"name": "x"}, 400, "invalid request: location: missing"),
        (
            "POST",
            "/api/stores",
            {"name": 5, "location": "x"},
            400,
            "invalid request: name: expected a string",
        ),
        (
            "POST",
            "/api/stores",
            {"name": "x" * 201, "location": "x"},
            400,
            "invalid request: name: longer than 200 characters",
        ),
        (
            "POST",
            "/api/stores",
            {"name": "", "location": "x"},
            400,
            "the store name cannot be blank",
        ),
        ("GET", "/api/stores/nope", None, 404, "store with id: `nope` does not exist"),
        (
            "GET",
            "/api/stores?participating=maybe",
            None,
            400,
            "participating must be true or false",
        ),
        (
            "PUT",
            "/api/stores/nope/rebrand",
            {"name": "y"},
            404,
            "store with id: `nope` does not exist",
        ),
        (
            "POST",
            "/api/stores/nope/products",
            {"name": "p", "price": "1.00"},
            404,
            "store with id: `nope` does not exist",
        ),
        ("GET", "/api/stores/products/nope", None, 404, "product with id: `nope` does not exist"),
        (
            "PUT",
            "/api/stores/products/nope/increasePrice",
            {"price": "1"},
            404,
            "product with id: `nope` does not exist",
        ),
        (
            "PUT",
            "/api/stores/products/nope/increasePrice",
            {"price": "abc"},
            400,
            "invalid request: price: not a decimal number",
        ),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend, method: str, path: str, body: object, status: int, message: str
) -> None:
    before = await backend.sql("SELECT count(*) FROM stores.events")
    response = await backend.http.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["message"] == message
    assert await backend.sql("SELECT count(*) FROM stores.events") == before


async def test_adding_a_product_to_a_store_with_bad_json(backend: RunningBackend) -> None:
    store_id = await create_store(backend, "Json Store")
    response = await backend.http.post(
        f"/api/stores/{store_id}/products",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "BAD_REQUEST",
        "message": "the request body is not valid JSON",
    }


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/stores/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]["/api/stores/{id}/participating"]) == {"put", "delete"}
    schema = document["paths"]["/api/stores"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert schema["required"] == ["name", "location"]


async def test_batch_reads_of_stores_and_products_by_ids(backend: RunningBackend) -> None:
    first, second = await create_store(backend, "Batch A"), await create_store(backend, "Batch B")
    await backend.http.put(f"/api/stores/{second}/participating", json={})
    product = await backend.http.post(
        f"/api/stores/{first}/products", json={"name": "Batched", "price": "1.50"}
    )
    product_id = product.json()["id"]

    stores = (
        await backend.http.get("/api/stores", params={"ids": f"{first},nope,{second}"})
    ).json()
    assert [s["id"] for s in stores["stores"]] == [first, second]
    participating = await backend.http.get(
        "/api/stores", params={"ids": f"{first},{second}", "participating": "true"}
    )
    assert [s["id"] for s in participating.json()["stores"]] == [second]
    products = await backend.http.get("/api/stores/products", params={"ids": f"nope,{product_id}"})
    assert products.status_code == 200
    assert products.json() == {
        "products": [
            {
                "id": product_id,
                "store_id": first,
                "name": "Batched",
                "description": "",
                "sku": "",
                "price": "1.50",
            }
        ]
    }


@pytest.mark.parametrize(
    ("path", "ids", "message"),
    [
        ("/api/stores/products", None, "ids is required"),
        ("/api/stores/products", ",", "ids must list at least one id"),
        ("/api/stores", ",".join(f"s{i}" for i in range(101)), "ids cannot list more than 100 ids"),
        ("/api/stores/products", ",".join(f"p{i}" for i in range(101)),
         "ids cannot list more than 100 ids"),
    ],
)  # fmt: skip
async def test_batch_reads_refuse_bad_id_lists(
    backend: RunningBackend, path: str, ids: str | None, message: str
) -> None:
    response = await backend.http.get(path, params={} if ids is None else {"ids": ids})
    assert response.status_code == 400
    assert response.json() == {"code": "BAD_REQUEST", "message": message}
