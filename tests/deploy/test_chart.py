"""The Helm chart: lint, rendering in both modes and with every switch on, kubernetes-validate
--strict (1.30 and the newest schema), checkov, and assertions on the rendered output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import Render, Rendered, render_error
from tests.deploy.tools import (
    CHART,
    ROOT,
    chart_tool,
    checkov,
    documented_skips,
    failures,
    is_read_by_code,
)

MODULES = [
    "baskets",
    "cosec",
    "customers",
    "depot",
    "notifications",
    "ordering",
    "payments",
    "search",
    "stores",
]
FULL = "shop-mallbots"
# The Prometheus Operator's APIs, as a cluster with its CRDs serves them.
MONITORING_APIS = (
    "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
)
EVERYTHING: dict[str, Any] = {
    "image": {
        "repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mallbots",
        "tag": "1.4.2",
        "digest": "sha256:" + "a" * 64,
    },
    "secrets": {"jwtSecretKey": "MALLBOTS_JWT_SECRET"},
    "auth": {
        "jwksUrl": "https://idp.example.com/.well-known/jwks.json",
        "issuer": "https://idp.example.com/",
        "audience": "mallbots",
        "claimsNamespace": "https://mallbots.example.com/",
    },
    "env": {"MALLBOTS_LOG_LEVEL": "DEBUG"},
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}},
    "ingress": {
        "enabled": True,
        "host": "shop.example.com",
        "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    },
    "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
    "networkPolicy": {
        "gatewayFrom": [{"ipBlock": {"cidr": "10.40.0.0/16"}}],
        "gatewayExtraEgress": [
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.40.0.0/16"]}}],
                "ports": [{"port": 443, "protocol": "TCP"}],
            }
        ],
        "extraEgress": [
            {
                "to": [{"ipBlock": {"cidr": "10.40.0.0/16"}}],
                "ports": [{"port": 4318, "protocol": "TCP"}],
            }
        ],
    },
    "modules": {
        "ordering": {
            "enabled": True,
            "replicas": 3,
            "database": {"existingSecret": "ordering-db"},
            "extraEnv": [{"name": "MALLBOTS_RELAY_BATCH", "value": "200"}],
        },
        "search": {"enabled": False},
    },
}
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "monolith": {},
    "services": {"mode": "services"},
    "monolith-everything": {**EVERYTHING, "migrations": {"mode": "job"}},
    "services-everything": {
        **EVERYTHING,
        "mode": "services",
        "gateway": {"autoscaling": {"enabled": False}},
        "moduleDefaults": {"autoscaling": {"enabled": False}},
    },
}


def deployments(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered.of_kind("Deployment")}


def container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def env_of(workload: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(workload)["env"]}


def test_the_chart_lints_clean() -> None:
    report = chart_tool("lint", CHART)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
@pytest.mark.parametrize("kube_version", ["1.30.0", "latest"])
def test_every_manifest_passes_kubernetes_validate_strict(
    render: Render, configuration: str, kube_version: str
) -> None:
    rendered = render(CONFIGURATIONS[configuration])
    report = chart_tool("validate", kube_version, *rendered.files)
    assert report["failures"] == {}
    # kubernetes-validate has no schema for the Prometheus Operator's kinds: the tests below
    # check their shape instead.
    assert set(report["no_schema"].values()) <= {
        "monitoring.coreos.com/v1/ServiceMonitor",
        "monitoring.coreos.com/v1/PrometheusRule",
    }
    if kube_version == "latest":
        assert tuple(int(p) for p in report["version"].split(".")[:2]) >= (1, 37)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_checkov_passes_with_only_the_documented_skips(render: Render, configuration: str) -> None:
    skips = documented_skips(CHART / "README.md")
    assert skips and all(len(why) > 20 for why in skips.values())
    report = checkov("kubernetes", render(CONFIGURATIONS[configuration]).folder, sorted(skips))
    assert report["passed"] > 100 and report["parsing_errors"] == 0
    assert failures(report) == []


def test_monolith_is_one_backend_hosting_every_enabled_module(render: Render) -> None:
    rendered = render(CONFIGURATIONS["monolith-everything"])
    assert set(deployments(rendered)) == {f"{FULL}-backend", f"{FULL}-gateway"}
    backend = deployments(rendered)[f"{FULL}-backend"]
    enabled = ",".join(m for m in MODULES if m != "search")
    assert container(backend)["args"] == ["backend", "--modules", enabled]
    env = env_of(backend)
    assert env["MALLBOTS_MODULES"] == enabled
    assert env["MALLBOTS_RELAY_BATCH"] == "200"  # a module's extraEnv goes to the backend
    assert env["MALLBOTS_DATABASE_URL_ORDERING"]["secretKeyRef"]["name"] == "ordering-db"


def test_services_is_one_deployment_per_enabled_module(render: Render) -> None:
    rendered = render(CONFIGURATIONS["services-everything"])
    enabled = [m for m in MODULES if m != "search"]
    assert set(deployments(rendered)) == {f"{FULL}-{m}" for m in enabled} | {f"{FULL}-gateway"}
    for module in enabled:
        workload = deployments(rendered)[f"{FULL}-{module}"]
        assert container(workload)["args"] == ["backend", "--modules", module]
        urls = dict(p.split("=", 1) for p in env_of(workload)["MALLBOTS_SERVICE_URLS"].split(","))
        assert urls == {m: f"http://{FULL}-{m}:8080" for m in enabled}
        assert rendered.named("Service", f"{FULL}-{module}")["spec"]["ports"][0]["port"] == 8080
        own_db = "MALLBOTS_DATABASE_URL_ORDERING" in env_of(workload)
        assert own_db == (module == "ordering")
    assert deployments(rendered)[f"{FULL}-ordering"]["spec"]["replicas"] == 3
    assert deployments(rendered)[f"{FULL}-stores"]["spec"]["replicas"] == 2  # moduleDefaults
    assert "MALLBOTS_DATABASE_URL_ORDERING" in env_of(rendered.of_kind("Job")[0])


def test_an_hpa_and_a_pdb_per_component(render: Render) -> None:
    rendered = render(CONFIGURATIONS["services"])
    components = set(deployments(rendered))
    hpas = {
        h["spec"]["scaleTargetRef"]["name"] for h in rendered.of_kind("HorizontalPodAutoscaler")
    }
    assert hpas == components
    pdbs = rendered.of_kind("PodDisruptionBudget")
    assert len(pdbs) == len(components)
    for workload in deployments(rendered).values():
        assert "replicas" not in workload["spec"]  # the HPA owns it
        spread = workload["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert "topology.kubernetes.io/zone" in {c["topologyKey"] for c in spread}


def test_the_migrations_job_is_a_pre_install_and_pre_upgrade_hook(render: Render) -> None:
    rendered = render(CONFIGURATIONS["monolith"])
    job = rendered.named("Job", f"{FULL}-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    assert container(job)["args"] == ["migrate"]
    account = rendered.named(
        "ServiceAccount", job["spec"]["template"]["spec"]["serviceAccountName"]
    )
    # The hook runs before the release's own resources exist: its account is a hook too, first.
    assert account["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        annotations["helm.sh/hook-weight"]
    )


def test_the_migrations_job_can_be_a_plain_job_for_gitops(render: Render) -> None:
    rendered = render(CONFIGURATIONS["monolith-everything"])
    (job,) = rendered.of_kind("Job")
    assert "annotations" not in job["metadata"]
    assert job["metadata"]["name"].startswith(f"{FULL}-migrate-")


def test_probes_on_healthz_and_readyz(render: Render) -> None:
    for configuration in ("monolith", "services"):
        for workload in deployments(render(CONFIGURATIONS[configuration])).values():
            spec = container(workload)
            assert spec["startupProbe"]["httpGet"]["path"] == "/healthz"
            assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert spec["readinessProbe"]["httpGet"]["port"] == "http"


def pre_stop_sleep(workload: dict[str, Any]) -> int | None:
    hook = container(workload).get("lifecycle", {}).get("preStop")
    if hook is None:
        return None
    assert set(hook) == {"sleep"}  # the sleep action: no binary needed in the image
    return int(hook["sleep"]["seconds"])


def test_every_deployment_keeps_serving_a_while_after_termination_starts(render: Render) -> None:
    """A preStop sleep: the ALB deregisters a terminating gateway pod and the endpoints drop a
    backend pod before SIGTERM closes its listener (no 502s during a rollout)."""
    for configuration in ("monolith", "services"):
        for name, workload in deployments(render(CONFIGURATIONS[configuration])).items():
            grace = workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            sleep = pre_stop_sleep(workload)
            assert sleep is not None and 0 < sleep < grace, name
    monolith = deployments(render(CONFIGURATIONS["monolith"]))
    assert pre_stop_sleep(monolith[f"{FULL}-gateway"]) == 15
    assert pre_stop_sleep(monolith[f"{FULL}-backend"]) == 5
    # In services mode a module's own setting wins over the backend's; 0 turns the hook off.
    services = deployments(
        render(
            {
                "mode": "services",
                "backend": {"preStopSleepSeconds": 7},
                "modules": {"ordering": {"enabled": True, "preStopSleepSeconds": 0}},
                "gateway": {"preStopSleepSeconds": 20, "terminationGracePeriodSeconds": 60},
            }
        )
    )
    assert pre_stop_sleep(services[f"{FULL}-stores"]) == 7
    assert pre_stop_sleep(services[f"{FULL}-ordering"]) is None
    assert pre_stop_sleep(services[f"{FULL}-gateway"]) == 20


@pytest.mark.parametrize(
    "values",
    [
        {"gateway": {"preStopSleepSeconds": 45}},
        {"backend": {"preStopSleepSeconds": 40, "terminationGracePeriodSeconds": 30}},
        {"mode": "services", "modules": {"depot": {"enabled": True, "preStopSleepSeconds": 30}}},
    ],
)
def test_a_pre_stop_sleep_must_leave_time_to_shut_down(
    values: dict[str, Any], tmp_path: Path
) -> None:
    error = render_error(values, tmp_path)
    assert "must be below terminationGracePeriodSeconds" in error, error


def test_hardened_security_contexts_by_default(render: Render) -> None:
    rendered = render(CONFIGURATIONS["services"])
    workloads = [*rendered.of_kind("Deployment"), *rendered.of_kind("Job")]
    pods = [w["spec"]["template"]["spec"] for w in workloads] + [
        p["spec"] for p in rendered.of_kind("Pod")
    ]
    assert len(pods) == 12  # 9 modules, the gateway, the migrations, the helm test
    for pod in pods:
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for spec in pod["containers"]:
            context = spec["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert context["runAsNonRoot"] is True
            assert spec["resources"]["limits"]["memory"]
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        assert {"name": "tmp", "mountPath": "/tmp"} in spec["containers"][0]["volumeMounts"]
        assert any(v["name"] == "tmp" and "emptyDir" in v for v in spec["volumes"])
    for account in rendered.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_credentials_come_from_the_existing_secret(render: Render) -> None:
    rendered = render(CONFIGURATIONS["services-everything"])
    gateway = env_of(rendered.named("Deployment", f"{FULL}-gateway"))
    backend = env_of(rendered.named("Deployment", f"{FULL}-ordering"))
    for env, names in (
        (gateway, ["REDIS_URL", "MALLBOTS_INTERNAL_TOKEN", "MALLBOTS_JWT_SECRET"]),
        (backend, ["DATABASE_URL", "REDIS_URL", "MALLBOTS_INTERNAL_TOKEN"]),
    ):
        for name in names:
            assert env[name]["secretKeyRef"]["name"] == "mallbots", name
    assert "DATABASE_URL" not in gateway
    assert gateway["MALLBOTS_JWKS_URL"] == "https://idp.example.com/.well-known/jwks.json"
    assert rendered.of_kind("Secret") == []  # the chart never holds a credential
    for account in rendered.of_kind("ServiceAccount"):
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]


@pytest.mark.parametrize(
    ("values", "algorithms"),
    [
        ({}, "RS256"),
        ({"auth": {"jwksUrl": "https://idp.example.com/jwks.json"}}, "RS256"),
        ({"secrets": {"jwtSecretKey": "MALLBOTS_JWT_SECRET"}}, "RS256,HS256"),
        (
            {"secrets": {"jwtSecretKey": "S"}, "auth": {"algorithms": "HS256, ES256"}},
            "HS256,ES256",
        ),
        ({"auth": {"algorithms": "ES256"}}, "ES256"),
    ],
)
def test_a_jwt_secret_makes_the_gateway_accept_hs256(
    render: Render, values: dict[str, Any], algorithms: str
) -> None:
    """The gateway refuses a token whose algorithm MALLBOTS_JWT_ALGORITHMS does not list: with
    secrets.jwtSecretKey set, HS256 must be there, or every HS256 token would be refused."""
    gateway = env_of(render(values).named("Deployment", f"{FULL}-gateway"))
    assert gateway["MALLBOTS_JWT_ALGORITHMS"] == algorithms
    assert ("MALLBOTS_JWT_SECRET" in gateway) == ("HS256" in algorithms.split(","))


def test_every_setting_the_chart_sets_is_read_by_the_code(render: Render) -> None:
    for configuration in CONFIGURATIONS.values():
        rendered = render(configuration)
        workloads = [*rendered.of_kind("Deployment"), *rendered.of_kind("Job")]
        names = {n for w in workloads for n in env_of(w) if n.startswith("MALLBOTS_")}
        assert sorted(n for n in names if not is_read_by_code(n)) == []


def test_service_accounts_are_named_for_pod_identity(render: Render) -> None:
    """Terraform's pod identity associations name <fullnameOverride>-<component>."""
    rendered = render({"mode": "services", "fullnameOverride": "mallbots"})
    accounts = {a["metadata"]["name"] for a in rendered.of_kind("ServiceAccount")}
    expected = {"gateway", "migrations", *MODULES}
    assert accounts == {f"mallbots-{c}" for c in expected}
    for workload in [*rendered.of_kind("Deployment"), *rendered.of_kind("Job")]:
        assert workload["spec"]["template"]["spec"]["serviceAccountName"] in accounts


def test_network_policy_denies_by_default_and_allows_the_flows(render: Render) -> None:
    rendered = render(CONFIGURATIONS["services-everything"])
    policies = {
        p["metadata"]["name"].removeprefix(f"{FULL}-"): p["spec"]
        for p in rendered.of_kind("NetworkPolicy")
    }
    deny = policies["default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    assert "egress" not in deny
    egress = policies["egress-dns-data"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {53, 5432, 6379, 4318}
    assert policies["gateway"]["egress"][1]["ports"] == [{"port": 443, "protocol": "TCP"}]
    gateway_in = policies["gateway"]["ingress"][0]
    assert {"ipBlock": {"cidr": "10.40.0.0/16"}} in gateway_in["from"]
    backend = policies["backend"]
    tiers = {
        f["podSelector"]["matchLabels"]["mallbots.io/tier"] for f in backend["ingress"][0]["from"]
    }
    assert tiers == {"gateway", "backend"}
    assert (
        backend["egress"][0]["to"][0]["podSelector"]["matchLabels"]["mallbots.io/tier"] == "backend"
    )


def test_ingress_for_the_alb_keeps_subscriptions_open(render: Render) -> None:
    (ingress,) = render(CONFIGURATIONS["services-everything"]).of_kind("Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/readyz"
    attributes = dict(
        a.split("=")
        for a in annotations["alb.ingress.kubernetes.io/load-balancer-attributes"].split(",")
    )
    # Above the 20 s WebSocket ping of the gateway's server and any client keep-alive.
    assert int(attributes["idle_timeout.timeout_seconds"]) >= 120
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == "shop.example.com"
    # The ALB's nodes, in the VPC, name the client in X-Forwarded-For (the per-IP rate limit).
    gateway = env_of(render(CONFIGURATIONS["services-everything"]).named(
        "Deployment", f"{FULL}-gateway"))  # fmt: skip
    assert gateway["MALLBOTS_TRUSTED_PROXIES"] == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"


def test_the_alb_answers_metrics_itself_and_never_forwards_it(render: Render) -> None:
    """The gateway's /metrics is unauthenticated: the internet-facing ALB answers it with a
    fixed 404 (Prometheus scrapes the pods directly)."""
    (ingress,) = render(CONFIGURATIONS["services-everything"]).of_kind("Ingress")
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    blocked, gateway = paths
    # The controller names the action by the backend's service name, with port use-annotation.
    assert blocked["path"] == "/metrics" and blocked["pathType"] == "Prefix"
    assert blocked["backend"]["service"]["port"] == {"name": "use-annotation"}
    name = blocked["backend"]["service"]["name"]
    action = json.loads(
        ingress["metadata"]["annotations"][f"alb.ingress.kubernetes.io/actions.{name}"]
    )
    assert action["type"] == "fixed-response"
    assert action["fixedResponseConfig"]["statusCode"] == "404"
    assert gateway["path"] == "/"
    assert gateway["backend"]["service"] == {"name": f"{FULL}-gateway", "port": {"name": "http"}}
    # Under the gateway's prefix and longer, so the controller orders its rule first as well.
    assert blocked["path"].startswith(gateway["path"]) and blocked["path"] != gateway["path"]
    # Turned off, only the gateway's rule remains.
    (open_ingress,) = render({"ingress": {"enabled": True, "blockedPaths": []}}).of_kind("Ingress")
    (only,) = open_ingress["spec"]["rules"][0]["http"]["paths"]
    assert only["backend"]["service"]["name"] == f"{FULL}-gateway"
    assert not any(".kubernetes.io/actions." in a for a in open_ingress["metadata"]["annotations"])


def test_monitoring_resources_behind_their_switches(render: Render) -> None:
    assert render(CONFIGURATIONS["services"], MONITORING_APIS).of_kind("ServiceMonitor") == []
    rendered = render(CONFIGURATIONS["services-everything"], MONITORING_APIS)
    (monitor,) = rendered.of_kind("ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    (rule,) = rendered.of_kind("PrometheusRule")
    copies = sorted((CHART / "files" / "prometheus-rules").glob("*.yml"))
    expected = [g for path in copies for g in yaml.safe_load(path.read_text())["groups"]]
    assert expected, "no rules in files/prometheus-rules: run `make helm-rules`"
    assert rule["spec"]["groups"] == expected


MONITORING_ON: dict[str, Any] = {
    "metrics": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    }
}


def test_monitoring_objects_are_skipped_without_the_prometheus_operators_api(
    render: Render,
) -> None:
    """A fresh cluster has no ServiceMonitor CRD: rendering one would fail the whole (atomic)
    release with "no matches for kind ServiceMonitor"."""
    rendered = render(MONITORING_ON)
    assert rendered.of_kind("ServiceMonitor") == [] and rendered.of_kind("PrometheusRule") == []
    for kind in ("ServiceMonitor", "PrometheusRule"):
        assert f"monitoring.coreos.com/v1/{kind} API" in rendered.notes
        assert f"no {kind} was created" in rendered.notes
    # Only the API the cluster serves gets its object.
    only_monitor = render(MONITORING_ON, MONITORING_APIS[:1])
    assert len(only_monitor.of_kind("ServiceMonitor")) == 1
    assert only_monitor.of_kind("PrometheusRule") == []
    assert "no ServiceMonitor was created" not in only_monitor.notes
    assert "no PrometheusRule was created" in only_monitor.notes


def test_monitoring_objects_are_rendered_with_the_api_and_carry_the_selector_labels(
    render: Render,
) -> None:
    rendered = render(MONITORING_ON, MONITORING_APIS)
    (monitor,) = rendered.of_kind("ServiceMonitor")
    (rule,) = rendered.of_kind("PrometheusRule")
    for resource in (monitor, rule):
        # kube-prometheus-stack selects its ServiceMonitors and rules on release=<its release>.
        assert resource["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert "was created" not in rendered.notes
    # Switched off, nothing is rendered even where the API exists.
    assert render(CONFIGURATIONS["monolith"], MONITORING_APIS).of_kind("PrometheusRule") == []


def test_the_rule_copies_are_the_projects_rules() -> None:
    """The PrometheusRule renders the copies in files/; `make helm-rules` refreshes them."""
    originals = {
        p.name: p.read_text()
        for p in (ROOT / "observability" / "prometheus" / "rules").glob("*.yml")
    }
    copies = {p.name: p.read_text() for p in (CHART / "files" / "prometheus-rules").glob("*.yml")}
    assert originals, "observability/prometheus/rules/*.yml are missing"
    assert copies == originals, "run `make helm-rules`"


def test_helm_test_runs_a_graphql_query_through_the_gateway(render: Render) -> None:
    (pod,) = render(CONFIGURATIONS["monolith"]).of_kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    spec = pod["spec"]["containers"][0]
    assert spec["args"][1] == f"http://{FULL}-gateway:8000/graphql"
    assert spec["args"][2] == "{ stores { id name } }"
    compile(spec["args"][0], "smoke", "exec")  # the script is valid Python


def test_notes_print_the_graphql_url(render: Render) -> None:
    assert "https://shop.example.com/graphql" in render(CONFIGURATIONS["services-everything"]).notes
    assert "http://127.0.0.1:8000/graphql" in render(CONFIGURATIONS["monolith"]).notes
    assert "every request is anonymous" in render(CONFIGURATIONS["monolith"]).notes
    assert "anonymous" not in render(CONFIGURATIONS["services-everything"]).notes


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"gateway": {"replica": 3}}, "replica"),
        ({"modules": {"orders": {"enabled": True}}}, "orders"),
        ({"mdoe": "services"}, "mdoe"),
        ({"mode": "microservices"}, "mode"),
        ({"migrations": {"mode": "sometimes"}}, "mode"),
        ({"image": {"digest": "latest"}}, "digest"),
        ({"ingress": {"idleTimeoutSeconds": 30}}, "idleTimeoutSeconds"),
    ],
)
def test_the_schema_refuses_bad_values(
    values: dict[str, Any], complaint: str, tmp_path: Path
) -> None:
    error = render_error(values, tmp_path)
    assert "schema" in error and complaint in error, error
