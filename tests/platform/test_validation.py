"""The platform's input checks: bodies, path parameters, query strings, unexpected errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from backend.platform.api import Endpoint, build_routes
from backend.platform.errors import NotFound
from backend.platform.validation import Id, IdempotencyKey, MaxLen, Price, Range

GOOD_ID = str(uuid.uuid4())


@dataclass(frozen=True)
class Thing:
    owner_id: Id
    name: Annotated[str, MaxLen(10)]
    price: Price
    count: Annotated[int, Range(maximum=5)] = 1
    note: str = ""
    idempotency_key: IdempotencyKey | None = None


async def create(request: Request, body: Thing) -> Any:
    return {"name": body.name, "price": body.price}


async def get(request: Request, body: None) -> Any:
    return {"id": request.path_params["id"], "q": request.query_params.get("q")}


async def missing(request: Request, body: None) -> Any:
    raise NotFound("thing with id: `x` does not exist")


async def broken(request: Request, body: None) -> Any:
    raise RuntimeError("secret detail of a bug")


ENDPOINTS = [
    Endpoint("POST", "", create, "Create", Thing, status=201),
    Endpoint("GET", "/{id}", get, "Get"),
    Endpoint("GET", "/{id}/missing", missing, "Missing"),
    Endpoint("GET", "/{id}/broken", broken, "Broken"),
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=build_routes("things", ENDPOINTS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def body(**changes: Any) -> dict[str, Any]:
    return {"owner_id": GOOD_ID, "name": "ok", "price": "1.50", **changes}


async def test_a_valid_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/things", json=body())
    assert response.status_code == 201
    assert response.json() == {"name": "ok", "price": "1.50"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"owner_id": "i" * 101}, "owner_id: longer than 100 characters"),
        ({"owner_id": "a\tb"}, "owner_id: contains a control character"),
        ({"owner_id": ""}, "owner_id: empty"),
        ({"owner_id": "../stores/x"}, "owner_id: not an id"),
        ({"owner_id": "a?b=1"}, "owner_id: not an id"),
        ({"owner_id": "%2e%2e"}, "owner_id: not an id"),
        ({"owner_id": ".."}, "owner_id: not an id"),
        ({"owner_id": GOOD_ID + "\x00"}, "owner_id: contains a NUL character"),
        ({"name": "x" * 11}, "name: longer than 10 characters"),
        ({"name": "a\x00b"}, "name: contains a NUL character"),
        ({"note": "n" * 1001}, "note: longer than 1000 characters"),
        ({"note": "\x00"}, "note: contains a NUL character"),
        ({"idempotency_key": "k" * 201}, "idempotency_key: longer than 200 characters"),
        ({"idempotency_key": "k" * 100_000}, "the request body is larger than"),
        ({"price": "NaN"}, "price: not a finite number"),
        ({"price": "Infinity"}, "price: not a finite number"),
        ({"price": "-Infinity"}, "price: not a finite number"),
        ({"price": "1e1000"}, "price: more than 9999999999.99"),
        ({"price": "-1"}, "price: less than 0"),
        ({"price": "0.001"}, "price: more than two decimal places"),
        ({"price": "1" * 101}, "price: longer than 100 characters"),
        ({"price": 1.5}, "price: expected a decimal string"),
        ({"count": 6}, "count: more than 5"),
        ({"count": 2**64}, "count: expected a whole number"),
        ({"count": -(2**63)}, "count: beyond"),
    ],
)
async def test_a_field_beyond_its_limits_is_a_bad_request_naming_it(
    client: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    response = await client.post("/api/things", json=body(**changes))
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"
    assert message in response.json()["message"]


async def test_a_lone_surrogate_is_refused(client: httpx.AsyncClient) -> None:
    raw = b'{"owner_id": "' + GOOD_ID.encode() + b'", "name": "\\ud800", "price": "1"}'
    response = await client.post("/api/things", content=raw)
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("depth", [32, 1000, 1023])
async def test_a_deeply_nested_body_is_a_bad_request(client: httpx.AsyncClient, depth: int) -> None:
    """33 levels (the object and 32 lists) are one too many. orjson parses up to 1024 levels:
    the check of the strings must not overflow Python's stack on them (a RecursionError would
    be a 500)."""
    raw = b'{"idempotency_key": ' + b"[" * depth + b"]" * depth + b"}"
    response = await client.post("/api/things", content=raw)
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "BAD_REQUEST",
            "message": "invalid request: body: nested more than 32 levels deep",
        },
    )


async def test_nesting_up_to_the_limit_is_only_checked_for_its_strings(
    client: httpx.AsyncClient,
) -> None:
    deep: Any = "\x00"
    for _ in range(31):
        deep = [deep]
    response = await client.post("/api/things", json=body(note=deep))
    assert response.json()["message"] == (
        "invalid request: note" + "[0]" * 31 + ": contains a NUL character"
    )
    response = await client.post("/api/things", json=body(note=[[1]]))
    assert response.json()["message"] == "invalid request: note: expected a string"


async def test_two_decimal_places_written_longer_still_pass(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/things", json=body(price="2.500"))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/api/things/%00", "contains a NUL character"),
        ("/api/things/a%00", "contains a NUL character"),
        ("/api/things/" + "a" * 5000, "longer than 100 characters"),
        ("/api/things/a%09b", "contains a control character"),
        ("/api/things/%7F", "contains a control character"),
        ("/api/things/%25", "not an id"),
    ],
)
async def test_a_path_parameter_must_be_shaped_like_an_id(
    client: httpx.AsyncClient, path: str, reason: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 400
    assert response.json() == {"code": "BAD_REQUEST", "message": f"invalid request: id: {reason}"}


async def test_an_id_the_backend_never_made_is_looked_up_like_any_other(
    client: httpx.AsyncClient,
) -> None:
    """Not found, by the module's own rules (other modules and tools call the backend too)."""
    assert (await client.get("/api/things/nope")).json() == {"id": "nope", "q": None}
    assert (await client.post("/api/things", json=body(owner_id="nope"))).status_code == 201


async def test_query_values_are_bounded_text(client: httpx.AsyncClient) -> None:
    ok = await client.get(f"/api/things/{GOOD_ID}", params={"q": "fine"})
    assert ok.json() == {"id": GOOD_ID, "q": "fine"}
    for value in ["a\x00b", "q" * 4001]:
        response = await client.get(f"/api/things/{GOOD_ID}", params={"q": value})
        assert response.status_code == 400
        assert response.json()["message"].startswith("invalid request: 'q': ")


async def test_a_domain_error_is_answered_and_not_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await client.get(f"/api/things/{GOOD_ID}/missing")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_an_unexpected_error_is_logged_once_and_answered_with_its_id_only(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.get(f"/api/things/{GOOD_ID}/broken")
    assert response.status_code == 500
    answer = response.json()
    assert answer["code"] == "INTERNAL_ERROR"
    assert "secret detail" not in response.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert answer["error_id"] in errors[0].getMessage()
    assert answer["error_id"] in answer["message"]
    assert errors[0].exc_info is not None


def test_the_openapi_document_states_the_limits() -> None:
    from backend.platform.api import openapi_document

    document = openapi_document("things", ENDPOINTS)
    schema = document["paths"]["/api/things"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]["properties"]
    assert (schema["owner_id"]["format"], schema["owner_id"]["maxLength"]) == ("id", 100)
    assert schema["name"]["maxLength"] == 10
    assert schema["note"]["maxLength"] == 1000
    assert schema["idempotency_key"]["maxLength"] == 200
    assert schema["count"]["maximum"] == 5
    parameter = document["paths"]["/api/things/{id}"]["get"]["parameters"][0]
    assert parameter["schema"]["format"] == "id"
