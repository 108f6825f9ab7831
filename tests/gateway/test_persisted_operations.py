"""Persisted operations (issue 10, item 6): an allow-list manifest of sha256 → document, with
the modes off, log and enforce; a client may send the document or only its hash (Apollo's
``extensions.persistedQuery``)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.persisted import sha256_hex
from tests.conftest import Servers
from tests.support.gateway import RunningGateway, running_gateway

NO_BACKEND = "http://127.0.0.1:9"
KNOWN = "query Known { __typename }"
UNKNOWN = "query Unknown { t: __typename }"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-operations.json"
    path.write_bytes(orjson.dumps({sha256_hex(KNOWN): KNOWN}))
    return path


def by_hash(digest: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(gateway: RunningGateway, body: dict[str, object]) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=30) as http:
        answer: dict[str, object] = (await http.post(gateway.graphql_url, json=body)).json()
    return answer


def code(answer: dict[str, object]) -> str:
    errors = answer["errors"]
    assert isinstance(errors, list)
    return str(errors[0]["extensions"]["code"])


async def test_enforce_runs_only_the_manifest(servers: Servers, manifest: Path) -> None:
    async with running_gateway(
        NO_BACKEND, servers.redis_url,
        persisted_operations="enforce", persisted_operations_file=str(manifest),
    ) as gateway:  # fmt: skip
        known = await post(gateway, {"query": KNOWN})
        hash_only = await post(gateway, {"extensions": by_hash(sha256_hex(KNOWN))})
        async with httpx.AsyncClient(timeout=30) as http:
            extensions = orjson.dumps(by_hash(sha256_hex(KNOWN))).decode()
            hash_only_get = (
                await http.get(
                    gateway.graphql_url,
                    params={"extensions": extensions},
                    headers={"accept": "application/json"},
                )
            ).json()
        unknown = await post(gateway, {"query": UNKNOWN})
        unknown_hash = await post(gateway, {"extensions": by_hash("0" * 64)})
        mismatch = await post(gateway, {"query": UNKNOWN, "extensions": by_hash(sha256_hex(KNOWN))})
    assert known == {"data": {"__typename": "Query"}}
    assert hash_only == known
    assert hash_only_get == known
    assert code(unknown) == "PERSISTED_OPERATION_REQUIRED"
    assert code(unknown_hash) == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown_hash["errors"][0]["message"] == "PersistedQueryNotFound"  # type: ignore[index]
    assert code(mismatch) == "BAD_REQUEST"


async def test_log_mode_runs_everything_and_logs_each_unknown_document_once(
    servers: Servers, manifest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.persisted")
    async with running_gateway(
        NO_BACKEND, servers.redis_url,
        persisted_operations="log", persisted_operations_file=str(manifest),
    ) as gateway:  # fmt: skip
        answers = [await post(gateway, {"query": q}) for q in (KNOWN, UNKNOWN, UNKNOWN)]
    assert answers[0] == {"data": {"__typename": "Query"}}
    assert answers[1] == answers[2] == {"data": {"t": "Query"}}
    logged = [r.getMessage() for r in caplog.records if r.name == "gateway.persisted"]
    assert logged == [
        f"operation not in the persisted manifest: sha256 {sha256_hex(UNKNOWN)}, name Unknown"
    ]


async def test_off_runs_everything(servers: Servers) -> None:
    async with running_gateway(NO_BACKEND, servers.redis_url) as gateway:
        answer = await post(gateway, {"query": UNKNOWN})
    assert answer == {"data": {"t": "Query"}}


def test_a_manifest_that_does_not_match_its_hashes_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "persisted-operations.json"
    path.write_bytes(orjson.dumps({sha256_hex(KNOWN): UNKNOWN}))
    settings = GatewaySettings(persisted_operations="enforce", persisted_operations_file=str(path))
    with pytest.raises(ValueError, match="is not the sha256 hash of its document"):
        create_app(settings)
    missing = GatewaySettings(
        persisted_operations="enforce", persisted_operations_file=str(tmp_path / "none.json")
    )
    with pytest.raises(ValueError, match="cannot read the persisted operations"):
        create_app(missing)
