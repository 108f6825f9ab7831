output "vpc_id" {
  description = "The VPC."
  value       = module.vpc.vpc_id
}

output "vpc_cidr" {
  description = "The VPC's CIDR (the app stack's gateway.trustedProxies of the chart, and the range its JWKS egress rule excludes)."
  value       = module.vpc.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets of the nodes and pods, one per AZ."
  value       = module.vpc.private_subnets
}

output "database_subnet_ids" {
  description = "Subnets of RDS and ElastiCache, one per AZ."
  value       = module.vpc.database_subnets
}

output "database_subnet_group_name" {
  description = "The RDS subnet group."
  value       = module.vpc.database_subnet_group_name
}

output "database_subnet_cidrs" {
  description = "CIDRs of the database subnets (egress rules of the chart's NetworkPolicy)."
  value       = module.vpc.database_subnets_cidr_blocks
}
