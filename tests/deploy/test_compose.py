"""docker-compose.yml: valid against the compose specification (check-jsonschema), and what the
schema cannot check: depends_on targets, the settings it passes, ports, images, files, secrets."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import yaml

from backend.modules import MODULE_NAMES
from tests.deploy.tools import ROOT, is_read_by_code, run, tool

COMPOSE = ROOT / "docker-compose.yml"
MODULES = set(MODULE_NAMES)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    return dict(compose()["services"])


def test_valid_against_the_compose_specification() -> None:
    result = run(
        [tool("validators", "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_depends_on_target_exists_and_shares_a_profile() -> None:
    found = services()
    for name, service in found.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on with conditions"
        for target, how in depends.items():
            assert target in found, f"{name} depends on unknown service {target}"
            assert how["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            # A target with profiles must be started whenever the dependent is.
            theirs = set(found[target].get("profiles", []))
            assert not theirs or theirs >= set(service.get("profiles", [])), (name, target)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in found[target], f"{target} has no healthcheck"


def test_every_mallbots_setting_used_is_one_the_code_reads() -> None:
    used: set[str] = set()
    for service in services().values():
        used |= {k for k in service.get("environment", {}) if k.startswith("MALLBOTS_")}
    assert "MALLBOTS_SERVICE_URLS" in used and "MALLBOTS_INTERNAL_TOKEN" in used
    unknown = sorted(name for name in used if not is_read_by_code(name))
    assert unknown == [], f"set in docker-compose.yml but read by no code: {unknown}"


def test_published_host_ports_do_not_clash() -> None:
    published = []
    for service in services().values():
        for port in service.get("ports", []):
            parts = str(port).split(":")
            host = parts[-2] if len(parts) >= 2 else parts[-1]
            address = parts[0] if len(parts) == 3 else "0.0.0.0"
            published.append((address, host))
    by_port = Counter(host for _, host in published)
    assert [p for p, n in by_port.items() if n > 1] == []


def test_profiles_monolith_services_and_observability() -> None:
    found = services()
    profiles = {name: set(s.get("profiles", [])) for name, s in found.items()}
    shared = {name for name, p in profiles.items() if not p}
    assert shared == {"postgres", "redis", "migrate"}
    assert {n for n, p in profiles.items() if "monolith" in p} == {"backend", "gateway"}
    assert {n for n, p in profiles.items() if "services" in p} == MODULES | {"gateway-services"}
    for module in MODULES:
        assert found[module]["command"] == ["backend", "--modules", module]
        assert found[module]["environment"]["MALLBOTS_MODULES"] == module
    urls = dict(
        pair.split("=", 1)
        for pair in found["gateway-services"]["environment"]["MALLBOTS_SERVICE_URLS"].split(",")
    )
    assert urls == {m: f"http://{m}:8080" for m in MODULES}
    assert found["backend"]["command"] == ["backend", "--modules", "all"]
    assert found["migrate"]["command"] == ["migrate"]
    observability = {n for n, p in profiles.items() if "observability" in p}
    assert observability == {"otel-collector", "jaeger", "prometheus", "grafana"}


def test_images_are_pinned_to_a_version() -> None:
    for name, service in services().items():
        image = service["image"]
        if image.startswith("${MALLBOTS_IMAGE"):
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and re.search(r"\d", tag), (name, image)


def test_app_containers_are_locked_down() -> None:
    for name, service in services().items():
        if service.get("image", "").startswith("${MALLBOTS_IMAGE"):
            assert service["read_only"] is True, name
            assert service["cap_drop"] == ["ALL"], name
            assert "no-new-privileges:true" in service["security_opt"], name
            assert any(t.startswith("/tmp") for t in service["tmpfs"]), name


def test_bind_mounts_are_the_project_files_under_observability() -> None:
    mounted = []
    for service in services().values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                mounted.append(source)
    assert {m.split("/")[1] for m in mounted} == {"observability"}
    missing = [m for m in mounted if not (ROOT / m).exists()]
    assert missing == [], f"mounted by docker-compose.yml but missing: {missing}"


def test_named_volumes_are_declared() -> None:
    declared = set(compose()["volumes"])
    used = {
        v.split(":")[0]
        for s in services().values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert used == declared


def test_secrets_come_from_the_env_file_that_is_not_committed() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "MALLBOTS_INTERNAL_TOKEN"} <= required
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    every = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert every <= set(example), every - set(example)
    ignored = run(["git", "check-ignore", "-q", ".env"])
    assert ignored.returncode == 0, ".env must be ignored by git"
    for name, service in services().items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASSWORD|TOKEN|SECRET", key) or key in {"DATABASE_URL", "REDIS_URL"}:
                assert "${" in str(value), f"{name}: {key} must come from .env"
