output "postgres_endpoints" {
  description = "host:port of each PostgreSQL server: shared, and one per module of module_databases."
  value       = { for key, db in module.postgres : key => db.db_instance_endpoint }
}

output "postgres_master_secret_arns" {
  description = "Secrets Manager secret (RDS-managed) of each server's master user."
  value       = { for key, db in module.postgres : key => db.db_instance_master_user_secret_arn }
}

output "postgres_resource_ids" {
  description = "Resource ids of the servers (for rds-db:connect with IAM authentication)."
  value       = { for key, db in module.postgres : key => db.db_instance_resource_id }
}

output "redis_primary_endpoint" {
  description = "Primary endpoint of the replication group (TLS, port 6379)."
  value       = module.redis.replication_group_primary_endpoint_address
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret holding the Redis AUTH token."
  value       = aws_secretsmanager_secret.redis_auth.arn
}

output "data_kms_key_arn" {
  description = "The customer key of the data at rest and its secrets."
  value       = aws_kms_key.data.arn
}
