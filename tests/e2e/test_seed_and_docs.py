"""The demo seed and the generated AsyncAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from backend.asyncapi import DOCUMENT, render
from backend.modules import select_modules
from backend.seed import seed
from tests.conftest import Servers
from tests.support.auth import INTERNAL_TOKEN
from tests.support.backend import RunningBackend, running_backend


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


async def test_seeding_twice_loads_the_demo_mall_once(backend: RunningBackend) -> None:
    first = await seed(backend.url, INTERNAL_TOKEN)
    second = await seed(backend.url, INTERNAL_TOKEN)
    assert first == second
    stores = (await backend.http.get("/api/stores?participating=true")).json()["stores"]
    assert [(s["name"], s["location"]) for s in stores] == [("Waldorf Books", "West Upper Level")]
    catalog = (await backend.http.get(f"/api/stores/{first['store']}/products")).json()
    assert [(p["name"], p["sku"], p["price"]) for p in catalog["products"]] == [
        ("EDA with Golang", "1234", "49.99")
    ]
    customer = (await backend.http.get(f"/api/customers/{first['customer']}")).json()["customer"]
    assert (customer["name"], customer["sms_number"]) == ("Buyer #1", "555-1212")
    bots = (await backend.http.get("/api/depot/bots")).json()["bots"]
    assert [b["id"] for b in bots] == [first["bot"]]
    events = await backend.sql("SELECT count(*) FROM stores.events")
    assert events == [(3,)], "store created, participation enabled, product added: once each"


def test_asyncapi_document_is_current() -> None:
    assert Path(DOCUMENT).read_text() == render(), (
        "docs/asyncapi.yaml is stale: run `.venv/bin/mallbots asyncapi`"
    )


def test_asyncapi_documents_every_topic_and_consumer_group() -> None:
    document = yaml.safe_load(render())
    assert document["asyncapi"] == "2.6.0"
    channels = document["channels"]
    assert channels["mallbots.ordering.events.Order"]["x-consumer-groups"] == [
        "cosec", "depot", "notifications", "payments", "search",
    ]  # fmt: skip
    assert "mallbots.projections.orders" in channels
    created = document["components"]["messages"]["ordersapi.OrderCreated"]
    assert created["payload"]["properties"]["items"]["type"] == "array"
