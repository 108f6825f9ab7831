output "repository_url" {
  description = "Where to push the image (the chart's image.repository)."
  value       = aws_ecr_repository.mallbots.repository_url
}
