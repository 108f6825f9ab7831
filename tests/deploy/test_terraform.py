"""The Terraform stacks: every file parses (python-hcl2), checkov passes with only the skips the
README lists, and the settings a platform team checks first are there.

`terraform fmt -check` is a lint where a terraform binary exists (see terraform/README.md), never
a test: no terraform can be installed from the registries here, and `init` cannot fetch providers.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from tests.deploy.tools import ROOT, checkov, documented_skips, failures, run, tool

TERRAFORM = ROOT / "terraform"
STACKS = ["network", "platform", "data", "registry", "app"]


def plain(value: Any) -> Any:
    """python-hcl2 8 keeps the quotes of strings and block labels: drop them."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def parsed() -> dict[str, Any]:
    result = run([tool("validators", "python"), ROOT / "tests/deploy/hcl_tool.py", TERRAFORM])
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout)
    assert "error" not in loaded, loaded.get("error")
    return {path: plain(body) for path, body in loaded.items()}


def blocks(stack: str, kind: str) -> dict[str, Any]:
    """Every ``kind`` block of a stack (``module``, ``variable``, ...), by label."""
    found: dict[str, Any] = {}
    for path, body in parsed().items():
        if path.startswith(f"{stack}/"):
            for block in body.get(kind, []):
                found.update(block)
    return found


def local(stack: str, name: str) -> Any:
    for path, body in parsed().items():
        if path.startswith(f"{stack}/"):
            for block in body.get("locals", []):
                if name in block:
                    return block[name]
    raise AssertionError(f"no local.{name} in {stack}")


def resource(stack: str, kind: str, name: str) -> dict[str, Any]:
    for path, body in parsed().items():
        if path.startswith(f"{stack}/"):
            for block in body.get("resource", []):
                if kind in block and name in block[kind]:
                    return dict(block[kind][name])
    raise AssertionError(f"no {kind}.{name} in {stack}")


def test_every_file_parses_and_every_stack_has_its_files() -> None:
    files = parsed()
    for stack in STACKS:
        for name in ("versions.tf", "variables.tf", "main.tf", "outputs.tf"):
            assert f"{stack}/{name}" in files


def test_checkov_passes_with_only_the_documented_skips() -> None:
    skips = documented_skips(TERRAFORM / "README.md")
    assert skips and all(len(why) > 20 for why in skips.values())
    report = checkov("terraform", TERRAFORM, sorted(skips))
    assert report["passed"] > 50 and report["parsing_errors"] == 0
    assert failures(report) == []


def test_community_modules_are_pinned_to_exact_versions() -> None:
    sources = {}
    for stack in STACKS:
        for name, module in blocks(stack, "module").items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", module["version"]), (stack, name)
            sources[module["source"]] = module["version"]
    assert sources["terraform-aws-modules/eks/aws"].startswith("21.")
    assert {
        "terraform-aws-modules/vpc/aws",
        "terraform-aws-modules/rds/aws",
        "terraform-aws-modules/elasticache/aws",
    } <= set(sources)


def test_every_variable_is_typed_and_described_and_inputs_are_validated() -> None:
    validated = 0
    for stack in STACKS:
        for name, variable in blocks(stack, "variable").items():
            assert variable.get("description") and variable.get("type"), (stack, name)
            validated += "validation" in variable
        assert blocks(stack, "output"), f"{stack} has no outputs"
    assert validated >= 20


def test_network_spans_three_zones_with_flow_logs() -> None:
    vpc = blocks("network", "module")["vpc"]
    assert "range(3)" in vpc["private_subnets"] and "range(3)" in vpc["database_subnets"]
    assert vpc["enable_flow_log"] is True and vpc["flow_log_traffic_type"] == "ALL"


def test_eks_private_endpoint_logs_encryption_pod_identity_and_the_alb_controller() -> None:
    modules = blocks("platform", "module")
    eks = modules["eks"]
    assert eks["endpoint_private_access"] is True
    assert blocks("platform", "variable")["endpoint_public_access"]["default"] is False
    assert set(eks["enabled_log_types"]) >= {"api", "audit", "authenticator"}
    assert eks["encryption_config"] == {"resources": ["secrets"]}
    assert {"eks-pod-identity-agent", "vpc-cni", "coredns", "kube-proxy"} <= set(eks["addons"])
    assert (
        eks["eks_managed_node_groups"]["default"]["metadata_options"]["http_tokens"] == "required"
    )
    assert modules["aws_lb_controller_pod_identity"]["attach_aws_lb_controller_policy"] is True
    release = resource("platform", "helm_release", "aws_load_balancer_controller")
    assert release["chart"] == "aws-load-balancer-controller"


def test_rds_is_multi_az_encrypted_protected_and_watched() -> None:
    rds = blocks("data", "module")["postgres"]
    for setting, value in {
        "multi_az": True,
        "storage_encrypted": True,
        "deletion_protection": True,
        "skip_final_snapshot": False,
        "performance_insights_enabled": True,
        "iam_database_authentication_enabled": True,
        "manage_master_user_password": True,
        "publicly_accessible": False,
    }.items():
        assert rds[setting] == value, setting
    assert "aws_kms_key.data.arn" in rds["kms_key_id"]
    assert set(rds["enabled_cloudwatch_logs_exports"]) == {"postgresql", "upgrade"}
    # One server for the shared database and one per module_databases entry.
    assert "module_databases" in local("data", "databases")


def test_redis_is_a_replication_group_with_failover_tls_and_a_token_from_secrets_manager() -> None:
    redis = blocks("data", "module")["redis"]
    assert redis["cluster_mode_enabled"] is False  # XREADGROUP reads several streams at once
    assert redis["automatic_failover_enabled"] is True and redis["multi_az_enabled"] is True
    assert redis["transit_encryption_enabled"] is True and redis["at_rest_encryption_enabled"]
    assert "aws_secretsmanager_secret_version.redis_auth" in redis["auth_token"]


def test_ecr_tags_are_immutable_scanned_and_expired() -> None:
    repository = resource("registry", "aws_ecr_repository", "mallbots")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"][0]["scan_on_push"] is True
    assert resource("registry", "aws_ecr_lifecycle_policy", "mallbots")["policy"]


def test_the_app_stack_gives_each_component_a_role_and_installs_the_chart() -> None:
    roles = resource("app", "aws_iam_role", "component")
    assert "local.components" in roles["for_each"]
    association = resource("app", "aws_eks_pod_identity_association", "component")
    assert "local.fullname" in association["service_account"]
    # The chart names its ServiceAccounts <fullnameOverride>-<component>: the same names.
    assert "local.fullname" in local("app", "chart_values")["fullnameOverride"]
    release = resource("app", "helm_release", "mallbots")
    assert release["chart"].endswith("/../../helm/mallbots")
    assert "var.deploy_with_helm" in release["count"]
    # The module databases reach the chart as modules.<name>.database.
    assert "module_database" in local("app", "chart_values")["modules"]
    assert "vpc_cidr" in local("app", "chart_values")["gateway"]["trustedProxies"]


def test_the_app_stack_leaves_the_prometheus_operator_objects_off_by_default() -> None:
    """No stack installs the Prometheus Operator's CRDs: a ServiceMonitor in the first atomic
    helm_release of a fresh cluster would fail it. A variable turns them on, with the labels
    kube-prometheus-stack selects on."""
    variables = blocks("app", "variable")
    assert variables["prometheus_operator"]["type"] == "bool"
    assert variables["prometheus_operator"]["default"] is False
    assert variables["prometheus_selector_labels"]["default"] == {}
    assert "validation" in variables["prometheus_selector_labels"]
    metrics = local("app", "chart_values")["metrics"]
    for kind in ("serviceMonitor", "prometheusRule"):
        assert metrics[kind]["enabled"] == "${var.prometheus_operator}", kind
        assert metrics[kind]["labels"] == "${var.prometheus_selector_labels}", kind
    readme = (TERRAFORM / "README.md").read_text()
    assert "prometheus_operator" in readme and "prometheus_selector_labels" in readme


def test_the_network_outputs_say_what_the_app_stack_does_with_them() -> None:
    outputs = blocks("network", "output")
    assert "trustedProxies" in outputs["vpc_cidr"]["description"]
    assert "databaseCIDRs" not in outputs["vpc_cidr"]["description"]
    values = local("app", "chart_values")
    assert "database_subnet_cidrs" in values["networkPolicy"]["databaseCIDRs"]
    assert "database_subnet_cidrs" in values["networkPolicy"]["redisCIDRs"]
