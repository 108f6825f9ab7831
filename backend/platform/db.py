"""PostgreSQL access: the connection pool and the schema migrations of each module."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

PLATFORM_SQL = Path(__file__).parent / "sql"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

set_json_loads(orjson.loads)  # json/jsonb columns: orjson is several times faster than json


def check_schema_name(schema: str) -> str:
    """Schema names are spliced into SQL as identifiers, so only plain names are allowed."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}: use lowercase letters, digits and _")
    return schema


async def create_pool(url: str, *, size: int = 10, name: str = "mallbots") -> AsyncConnectionPool:
    """An open pool of autocommit connections; units of work begin transactions explicitly."""
    pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True},
        name=name,
        open=False,
        timeout=10,
    )
    await pool.open(wait=True, timeout=30)
    return pool


def _migration_files(schema: str, module_dir: Path | None) -> list[tuple[str, str]]:
    files = sorted(PLATFORM_SQL.glob("*.sql"))
    named = [(f"platform/{path.name}", path.read_text()) for path in files]
    if module_dir is not None and module_dir.is_dir():
        named += [(path.name, path.read_text()) for path in sorted(module_dir.glob("*.sql"))]
    return [(name, text.replace("{schema}", schema)) for name, text in named]


async def migrate(conn: psycopg.AsyncConnection, schema: str, module_dir: Path | None) -> list[str]:
    """Apply the platform's and the module's pending migrations to ``schema``; return their names.

    A transaction-level advisory lock makes concurrent starts (several replicas) wait for each
    other instead of racing; each file runs in the same transaction as its bookkeeping row.
    """
    check_schema_name(schema)
    applied: list[str] = []
    lock_key = int.from_bytes(hashlib.sha256(b"mallbots-migrate").digest()[:8], "big", signed=True)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS public.mallbots_migrations (
                   schema_name text NOT NULL,
                   name        text NOT NULL,
                   checksum    text NOT NULL,
                   applied_at  timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (schema_name, name))"""
        )
        cur = await conn.execute(
            "SELECT name, checksum FROM public.mallbots_migrations WHERE schema_name = %s",
            (schema,),
        )
        done = {name: checksum for name, checksum in await cur.fetchall()}
        for name, text in _migration_files(schema, module_dir):
            checksum = hashlib.sha256(text.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    raise RuntimeError(
                        f"migration {schema}/{name} changed after it was applied; "
                        "add a new migration instead of editing an old one"
                    )
                continue
            await conn.execute(text.encode())
            await conn.execute(
                "INSERT INTO public.mallbots_migrations (schema_name, name, checksum)"
                " VALUES (%s, %s, %s)",
                (schema, name, checksum),
            )
            applied.append(name)
    return applied
