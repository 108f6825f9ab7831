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

data "aws_caller_identity" "current" {}

locals {
  network   = data.terraform_remote_state.network.outputs
  platform  = data.terraform_remote_state.platform.outputs
  pg_major  = split(".", var.postgres_version)[0]
  databases = merge({ shared = var.db_instance_class }, var.module_databases)
}

# One customer key for the data at rest: RDS storage, Performance Insights, the master password
# secret, ElastiCache, and the Redis auth token secret.
resource "aws_kms_key" "data" {
  description             = "${var.name} databases"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Account"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_security_group" "postgres" {
  name        = "${var.name}-postgres"
  description = "PostgreSQL, reachable from the EKS nodes and pods only"
  vpc_id      = local.network.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_nodes" {
  security_group_id            = aws_security_group.postgres.id
  description                  = "PostgreSQL from the EKS nodes and pods"
  referenced_security_group_id = local.platform.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "Redis, reachable from the EKS nodes and pods only"
  vpc_id      = local.network.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_nodes" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis (TLS) from the EKS nodes and pods"
  referenced_security_group_id = local.platform.node_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

# The shared server, and one per entry of module_databases.
module "postgres" {
  source   = "terraform-aws-modules/rds/aws"
  version  = "6.12.0"
  for_each = local.databases

  identifier           = each.key == "shared" ? var.name : "${var.name}-${each.key}"
  engine               = "postgres"
  engine_version       = var.postgres_version
  family               = "postgres${local.pg_major}"
  major_engine_version = local.pg_major
  instance_class       = each.value

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  db_name  = "mallbots"
  username = "mallbots"
  port     = 5432
  # The master password lives in Secrets Manager, created and rotated by RDS.
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = aws_kms_key.data.arn
  iam_database_authentication_enabled = true

  multi_az               = true
  publicly_accessible    = false
  db_subnet_group_name   = local.network.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.postgres.id]

  deletion_protection              = true
  skip_final_snapshot              = false
  final_snapshot_identifier_prefix = "${var.name}-${each.key}-final"
  backup_retention_period          = var.db_backup_retention_days
  copy_tags_to_snapshot            = true
  auto_minor_version_upgrade       = true
  maintenance_window               = "sun:03:00-sun:04:00"
  backup_window                    = "01:00-02:00"

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.data.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  create_monitoring_role                = true
  monitoring_role_name                  = "${var.name}-${each.key}-rds-monitoring"

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  create_cloudwatch_log_group     = true

  parameters = [
    { name = "rds.force_ssl", value = "1" },
    { name = "log_min_duration_statement", value = "500" },
  ]
}

# The Redis auth token: generated here, kept in Secrets Manager under the data key.
resource "random_password" "redis" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "redis_auth" {
  name                    = "${var.name}/redis-auth-token"
  description             = "AUTH token of the ${var.name} ElastiCache replication group"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "redis_auth" {
  secret_id     = aws_secretsmanager_secret.redis_auth.id
  secret_string = random_password.redis.result
}

# A replication group, not cluster mode: a consumer reads several streams in one XREADGROUP.
module "redis" {
  source  = "terraform-aws-modules/elasticache/aws"
  version = "1.6.0"

  replication_group_id = var.name
  description          = "${var.name} Redis Streams"
  engine               = "redis"
  engine_version       = var.redis_version
  node_type            = var.redis_node_type

  cluster_mode_enabled       = false
  num_cache_clusters         = var.redis_replicas
  automatic_failover_enabled = true
  multi_az_enabled           = true

  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  at_rest_encryption_enabled = true
  kms_key_arn                = aws_kms_key.data.arn
  auth_token                 = aws_secretsmanager_secret_version.redis_auth.secret_string

  vpc_id                   = local.network.vpc_id
  subnet_ids               = local.network.database_subnet_ids
  create_security_group    = false
  security_group_ids       = [aws_security_group.redis.id]
  snapshot_retention_limit = 7
  snapshot_window          = "02:00-03:00"
  maintenance_window       = "sun:04:00-sun:05:00"
  apply_immediately        = false

  create_parameter_group = true
  parameter_group_family = "redis7"
  parameters = [
    # Streams are the system of delivery: never evict them.
    { name = "maxmemory-policy", value = "noeviction" },
  ]
}
