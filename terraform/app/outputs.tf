output "component_role_arns" {
  description = "The pod identity role of each component."
  value       = { for component, role in aws_iam_role.component : component => role.arn }
}

output "chart_values" {
  description = "The values this stack gives the chart: hand them to a GitOps tool when deploy_with_helm is off."
  value       = yamlencode(local.chart_values)
}

output "namespace" {
  description = "The release's namespace."
  value       = kubernetes_namespace_v1.mallbots.metadata[0].name
}
