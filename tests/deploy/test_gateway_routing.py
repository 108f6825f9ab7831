"""One process per module (compose's `services` profile, the chart's `mode: services`): the
gateway's backend client sends each module's calls to the address MALLBOTS_SERVICE_URLS gives."""

from __future__ import annotations

import pytest

from backend.modules import select_modules
from backend.platform.principal import PRINCIPAL_HEADER, forward
from gateway.backend import BackendClient
from gateway.config import GatewaySettings
from tests.conftest import Servers
from tests.support.auth import INTERNAL_TOKEN, principal
from tests.support.backend import running_backend, serving_backend


def test_the_gateway_reads_the_service_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLBOTS_SERVICE_URLS", "stores=http://stores:8080,customers=http://c:8080")
    settings = GatewaySettings.from_env()
    assert settings.service_urls == {"stores": "http://stores:8080", "customers": "http://c:8080"}


async def test_each_module_is_called_at_its_own_address(servers: Servers) -> None:
    admin = {PRINCIPAL_HEADER: forward(principal("admin"), INTERNAL_TOKEN)}
    async with (
        running_backend(servers.database_url, servers.redis_url, select_modules(["stores"])) as st,
        serving_backend(st.database_url, st.redis_url, select_modules(["customers"])) as cu,
    ):
        client = BackendClient(st.url, 5.0, INTERNAL_TOKEN, {"customers": cu.url + "/"})
        try:
            assert client.base_of("/customers/abc") == cu.url
            assert client.base_of("/stores?participating=true") == st.url
            created = await client.request(
                "POST", "/customers", {"name": "Routed", "sms_number": "555-0100"}, headers=admin
            )
            found = await client.request("GET", f"/customers/{created['id']}", headers=admin)
            assert found["customer"]["name"] == "Routed"
            store = await client.request(
                "POST", "/stores", {"name": "Corner", "location": "Level 1"}, headers=admin
            )
            found_store = await client.request("GET", f"/stores/{store['id']}")
            assert found_store["store"]["name"] == "Corner"
        finally:
            await client.aclose()
        # The stores process does not serve the customers module at all.
        assert (await st.http.get(f"/api/customers/{created['id']}")).status_code == 404
