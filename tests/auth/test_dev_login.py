"""Development log-in: the demo users and their tokens from the gateway (development mode only)
and from ``mallbots token``."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from gateway.auth import Authenticator
from tests.auth.conftest import World
from tests.auth.test_authorization import CUSTOMER, code
from tests.gateway.graphql_http import post
from tests.support.auth import JWT_SECRET, TOKENS
from tests.support.gateway import running_gateway


async def test_a_developer_picks_a_demo_user_and_gets_their_token(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.gateway.url) as http:
        users = (await http.get("/auth/dev/users")).json()["users"]
        customers = {u["label"]: u for u in users if u["role"] == "customer"}
        assert customers["Alice"]["customer_id"] == world.a.customer_id
        assert {"role": "admin", "label": "Admin"} in users
        assert any(u["role"] == "bot" and u["bot_id"] == world.bot_id for u in users)
        managers = [u for u in users if u["role"] == "store_manager"]
        assert [world.store_id] in [u["store_ids"] for u in managers]

        issued = await http.post("/auth/dev/token", json=customers["Alice"])
        headers = {"Authorization": f"Bearer {issued.json()['token']}"}
        mine = await post(world.gateway, CUSTOMER, headers, id=world.a.customer_id)
        assert mine["data"]["customer"]["id"] == world.a.customer_id
        theirs = await post(world.gateway, CUSTOMER, headers, id=world.b.customer_id)
        assert code(theirs) == "NOT_FOUND"

        for bad in ({"role": "customer"}, {"role": "service"}, {"role": "root"}, [1]):
            refused = await http.post("/auth/dev/token", json=bad)
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_production_has_no_development_log_in(world: World) -> None:
    async with (
        running_gateway(world.backend.url, world.backend.redis_url, development=False) as gw,
        httpx.AsyncClient(base_url=gw.url) as http,
    ):
        assert (await http.get("/auth/dev/users")).status_code == 404
        assert (await http.post("/auth/dev/token", json={"role": "admin"})).status_code == 404


async def test_mallbots_token_mints_a_token_for_each_role() -> None:
    env = {**os.environ, "MALLBOTS_JWT_SECRET": JWT_SECRET}

    def mallbots(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", "token", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    authenticator = Authenticator(TOKENS)
    made = mallbots("--role", "customer", "--customer", "c-42")
    assert made.returncode == 0, made.stderr
    customer = await authenticator.verify(made.stdout.strip())
    assert (customer.role, customer.customer_id) == ("customer", "c-42")
    manager = await authenticator.verify(
        mallbots("--role", "store_manager", "--store", "s1", "--store", "s2").stdout.strip()
    )
    assert manager.store_ids == frozenset({"s1", "s2"})
    assert (await authenticator.verify(mallbots("--role", "admin").stdout.strip())).privileged
    missing = mallbots("--role", "bot")
    assert missing.returncode == 2
    assert "a bot token needs --bot ID" in missing.stderr
