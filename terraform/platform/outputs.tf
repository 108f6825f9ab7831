output "cluster_name" {
  description = "The EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "The Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "The cluster's CA, base64."
  value       = module.eks.cluster_certificate_authority_data
}

output "node_security_group_id" {
  description = "Security group of the nodes (pods use it too): allowed into RDS and ElastiCache."
  value       = module.eks.node_security_group_id
}

output "cluster_primary_security_group_id" {
  description = "The cluster's primary security group."
  value       = module.eks.cluster_primary_security_group_id
}
