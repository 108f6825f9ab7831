"""The demo mall of DOMAIN-DECISIONS.md, loaded through the normal commands (the backend's HTTP
API), so that events, read models, caches and projections agree. Every command carries a fixed
idempotency key: seeding twice writes nothing new."""

from __future__ import annotations

from typing import Any

import httpx


async def _call(http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]) -> Any:
    response = await http.request(method, path, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"seeding failed at {method} {path}: {response.text}")
    return response.json()


async def seed(base_url: str, internal_token: str) -> dict[str, str]:
    """Create the demo store, product, customer and bot; return their ids. The backend is
    called as another module would call it: with the service credential and no principal."""
    credential = {"authorization": f"Bearer {internal_token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=10, headers=credential) as http:
        store = await _call(http, "POST", "/api/stores", {
            "name": "Waldorf Books", "location": "West Upper Level",
            "idempotency_key": "seed-store",
        })  # fmt: skip
        await _call(http, "PUT", f"/api/stores/{store['id']}/participating",
                    {"idempotency_key": "seed-participation"})  # fmt: skip
        product = await _call(http, "POST", f"/api/stores/{store['id']}/products", {
            "name": "EDA with Golang", "description": "", "sku": "1234", "price": "49.99",
            "idempotency_key": "seed-product",
        })  # fmt: skip
        customer = await _call(http, "POST", "/api/customers", {
            "name": "Buyer #1", "sms_number": "555-1212", "idempotency_key": "seed-customer",
        })  # fmt: skip
        bot = await _call(http, "POST", "/api/depot/bots",
                          {"name": "Bot #1", "idempotency_key": "seed-bot"})  # fmt: skip
    return {
        "store": store["id"],
        "product": product["id"],
        "customer": customer["id"],
        "bot": bot["id"],
    }
