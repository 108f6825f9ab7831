data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "mallbots/network.tfstate"
    region = var.region
  }
}

data "terraform_remote_state" "platform" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "mallbots/platform.tfstate"
    region = var.region
  }
}

data "terraform_remote_state" "data" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "mallbots/data.tfstate"
    region = var.region
  }
}

data "terraform_remote_state" "registry" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "mallbots/registry.tfstate"
    region = var.region
  }
}

data "aws_caller_identity" "current" {}

locals {
  network  = data.terraform_remote_state.network.outputs
  platform = data.terraform_remote_state.platform.outputs
  data     = data.terraform_remote_state.data.outputs
  registry = data.terraform_remote_state.registry.outputs

  modules = ["stores", "customers", "baskets", "ordering", "payments", "depot", "notifications", "search", "cosec"]
  # The chart's components, each with its own ServiceAccount <release>-mallbots-<component>.
  backend_components = var.mode == "monolith" ? ["backend"] : local.modules
  components         = concat(["gateway", "migrations"], local.backend_components)
  # The chart's fullnameOverride: its ServiceAccounts are then <name>-<component>.
  fullname = var.name

  # Modules with a server of their own (the data stack's module_databases).
  own_databases = { for key, endpoint in local.data.postgres_endpoints : key => endpoint if key != "shared" }
  # Which server each backend component and the migrations connect to.
  component_databases = {
    for component in concat(["migrations"], local.backend_components) : component => (
      component == "migrations" || component == "backend"
      ? keys(local.data.postgres_endpoints)
      : [contains(keys(local.own_databases), component) ? component : "shared"]
    )
  }
}

# --- one pod identity role per component, with only what it needs ----------------------------

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "component" {
  for_each           = toset(local.components)
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

# IAM database authentication to the servers a component uses, as the user mallbots_iam
# (create it with `GRANT rds_iam TO mallbots_iam`); the gateway has no AWS permission at all.
data "aws_iam_policy_document" "rds_connect" {
  for_each = local.component_databases
  statement {
    actions = ["rds-db:connect"]
    resources = [
      for db in each.value :
      "arn:aws:rds-db:${var.region}:${data.aws_caller_identity.current.account_id}:dbuser:${local.data.postgres_resource_ids[db]}/mallbots_iam"
    ]
  }
}

resource "aws_iam_role_policy" "rds_connect" {
  for_each = local.component_databases
  name     = "rds-connect"
  role     = aws_iam_role.component[each.key].id
  policy   = data.aws_iam_policy_document.rds_connect[each.key].json
}

resource "aws_eks_pod_identity_association" "component" {
  for_each        = toset(local.components)
  cluster_name    = local.platform.cluster_name
  namespace       = var.namespace
  service_account = "${local.fullname}-${each.key}"
  role_arn        = aws_iam_role.component[each.key].arn
}

# --- namespace and Secrets ---------------------------------------------------------------------

resource "kubernetes_namespace_v1" "mallbots" {
  metadata {
    name = var.namespace
    labels = {
      "pod-security.kubernetes.io/enforce" = "restricted"
    }
  }
}

data "aws_secretsmanager_secret_version" "postgres" {
  for_each  = local.data.postgres_master_secret_arns
  secret_id = each.value
}

data "aws_secretsmanager_secret_version" "redis" {
  secret_id = local.data.redis_auth_secret_arn
}

resource "random_password" "internal_token" {
  length  = 48
  special = false
}

locals {
  database_urls = {
    for key, secret in data.aws_secretsmanager_secret_version.postgres : key => format(
      "postgresql://%s:%s@%s/mallbots?sslmode=require",
      jsondecode(secret.secret_string).username,
      urlencode(jsondecode(secret.secret_string).password),
      local.data.postgres_endpoints[key],
    )
  }
}

# The chart's existingSecret. Terraform state then holds these values: keep the state bucket
# encrypted and private (or let the External Secrets Operator build this Secret, see README).
resource "kubernetes_secret_v1" "mallbots" {
  metadata {
    name      = "mallbots"
    namespace = kubernetes_namespace_v1.mallbots.metadata[0].name
  }
  data = {
    DATABASE_URL            = local.database_urls["shared"]
    REDIS_URL               = "rediss://:${urlencode(data.aws_secretsmanager_secret_version.redis.secret_string)}@${local.data.redis_primary_endpoint}:6379/0"
    MALLBOTS_INTERNAL_TOKEN = random_password.internal_token.result
  }
}

resource "kubernetes_secret_v1" "module_database" {
  for_each = local.own_databases
  metadata {
    name      = "mallbots-db-${each.key}"
    namespace = kubernetes_namespace_v1.mallbots.metadata[0].name
  }
  data = {
    DATABASE_URL = local.database_urls[each.key]
  }
}

# --- the chart ---------------------------------------------------------------------------------

locals {
  chart_values = {
    mode             = var.mode
    fullnameOverride = local.fullname
    image            = { repository = local.registry.repository_url, tag = var.image_tag }
    secrets          = { existingSecret = kubernetes_secret_v1.mallbots.metadata[0].name }
    auth = {
      jwksUrl    = var.jwks_url
      issuer     = var.jwt_issuer
      audience   = var.jwt_audience
      algorithms = "RS256"
    }
    modules = {
      for module in local.modules : module => merge(
        { enabled = true },
        contains(keys(local.own_databases), module)
        ? { database = { existingSecret = kubernetes_secret_v1.module_database[module].metadata[0].name, key = "DATABASE_URL" } }
        : {}
      )
    }
    # The ALB's nodes are in the VPC: their X-Forwarded-For names the client.
    gateway = { trustedProxies = local.network.vpc_cidr }
    ingress = {
      enabled        = true
      host           = var.hostname
      certificateArn = var.certificate_arn
    }
    networkPolicy = {
      databaseCIDRs = local.network.database_subnet_cidrs
      redisCIDRs    = local.network.database_subnet_cidrs
      # The identity provider's JWKS endpoint, over HTTPS, outside the VPC.
      gatewayExtraEgress = [{
        to    = [{ ipBlock = { cidr = "0.0.0.0/0", except = [local.network.vpc_cidr] } }]
        ports = [{ port = 443, protocol = "TCP" }]
      }]
    }
    # Prometheus Operator objects: off by default, since no stack here installs its CRDs (the
    # chart skips them while the CRDs are absent, and says so in the release notes).
    metrics = {
      serviceMonitor = { enabled = var.prometheus_operator, labels = var.prometheus_selector_labels }
      prometheusRule = { enabled = var.prometheus_operator, labels = var.prometheus_selector_labels }
    }
  }
}

resource "helm_release" "mallbots" {
  count     = var.deploy_with_helm ? 1 : 0
  name      = var.name
  namespace = kubernetes_namespace_v1.mallbots.metadata[0].name
  chart     = "${path.module}/../../helm/mallbots"
  # A failed upgrade rolls back by itself; the migrations hook runs before the new pods.
  atomic          = true
  cleanup_on_fail = true
  wait            = true
  timeout         = 900
  values          = compact([yamlencode(local.chart_values), var.chart_values])

  depends_on = [aws_eks_pod_identity_association.component, kubernetes_secret_v1.module_database]
}
