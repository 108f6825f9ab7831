"""The embedded servers from any folder: a closed (0700) parent, root or not; passwords always."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from backend.platform.embedded import EmbeddedPostgres, EmbeddedRedis, without_password


def modes(paths: list[Path]) -> dict[Path, tuple[int, int, int]]:
    return {p: (p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in paths}


@pytest.fixture
def closed_clone() -> Iterator[Path]:
    """The data folder of a clone under a folder only its owner may enter (as /root is)."""
    base = Path(tempfile.mkdtemp(prefix="mallbots-closed-"))
    data = base / "home" / "clone" / ".mallbots"
    data.mkdir(parents=True)
    (base / "home").chmod(0o700)
    try:
        yield data
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def assert_password_required(postgres: EmbeddedPostgres, redis_server: EmbeddedRedis) -> None:
    with psycopg.connect(postgres.url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    for url in (without_password(postgres.url), postgres.url.replace(postgres.password, "x")):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(url).close()
    assert redis.Redis.from_url(redis_server.url).ping() is True
    anonymous = redis.Redis(host="127.0.0.1", port=redis_server.port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.set("k", "v")
    anonymous.close()


def test_the_servers_start_under_a_closed_folder_with_passwords_and_widen_nothing(
    closed_clone: Path,
) -> None:
    above = [closed_clone.parent, *closed_clone.parent.parents]
    before = modes(above)
    postgres = EmbeddedPostgres(closed_clone / "postgres", durable=False)
    redis_server = EmbeddedRedis(closed_clone / "redis", durable=False)
    try:
        postgres.start()
        redis_server.start()
        assert_password_required(postgres, redis_server)
        for secret in ("postgres/password", "redis/password", "redis/redis.conf"):
            assert (closed_clone / secret).stat().st_mode & 0o777 == 0o600
        assert postgres.password not in " ".join(redis_server._args or [])  # not on `ps`
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
        postgres.stop()
        postgres.start()  # the same password again, the data kept
        with psycopg.connect(postgres.url) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    finally:
        redis_server.stop()
        postgres.remove()
    assert modes(above) == before
    assert not postgres.runtime.exists()


def test_a_cluster_made_before_passwords_is_given_one(tmp_path: Path) -> None:
    postgres = EmbeddedPostgres(tmp_path / "postgres", durable=False)
    try:
        postgres.start()
        postgres.stop()
        hba = postgres.data / "pg_hba.conf"
        hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
        (postgres.root / "password").unlink()  # as an earlier version left it
        postgres.start()
        with psycopg.connect(postgres.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(without_password(postgres.url)).close()
    finally:
        postgres.remove()


def test_a_data_folder_others_can_reach_keeps_the_cluster_and_gains_only_o_x() -> None:
    data = Path(tempfile.mkdtemp(prefix="mallbots-open-"))  # 0700, in /tmp (open to all)
    above = [data.parent, *data.parent.parents]
    before, mode = modes(above), data.stat().st_mode
    postgres = EmbeddedPostgres(data / "postgres", durable=False)
    try:
        postgres.start()
        with psycopg.connect(postgres.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert postgres.runtime == postgres.root  # the data stays in the data folder
        expected = mode | 0o001 if os.geteuid() == 0 else mode
        assert data.stat().st_mode == expected
        assert modes(above) == before
    finally:
        postgres.remove()
        subprocess.run(["rm", "-rf", str(data)], check=False)
