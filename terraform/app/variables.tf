variable "region" {
  description = "AWS region of every stack."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name" {
  description = "Name prefix; also the Helm release's name."
  type        = string
  default     = "mallbots"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "state_bucket" {
  description = "S3 bucket of the stacks' states."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "mallbots"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "image_tag" {
  description = "The release to run: an immutable tag pushed to the ECR repository (never latest)."
  type        = string
  validation {
    condition     = var.image_tag != "latest" && can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid, immutable tag other than latest."
  }
}

variable "mode" {
  description = "monolith (one backend Deployment) or services (one Deployment per module)."
  type        = string
  default     = "monolith"
  validation {
    condition     = contains(["monolith", "services"], var.mode)
    error_message = "mode must be monolith or services."
  }
}

variable "deploy_with_helm" {
  description = "Install the chart from this stack (helm_release). Off: a GitOps tool installs it; this stack then only creates the roles, namespace and Secrets."
  type        = bool
  default     = true
}

variable "hostname" {
  description = "Public host name of the GraphQL endpoint (the ALB's rule)."
  type        = string
  default     = ""
}

variable "certificate_arn" {
  description = "ACM certificate of hostname, for HTTPS on the ALB."
  type        = string
  default     = ""
  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "jwks_url" {
  description = "JWKS URL of the identity provider whose tokens the gateway accepts."
  type        = string
  validation {
    condition     = startswith(var.jwks_url, "https://")
    error_message = "jwks_url must be an https URL."
  }
}

variable "jwt_issuer" {
  description = "Expected iss claim of the tokens."
  type        = string
}

variable "jwt_audience" {
  description = "Expected aud claim of the tokens."
  type        = string
}

variable "chart_values" {
  description = "More values for the chart (merged over the ones this stack sets), as YAML."
  type        = string
  default     = ""
}

variable "prometheus_operator" {
  description = "Create the chart's ServiceMonitor and PrometheusRule (metrics.serviceMonitor / metrics.prometheusRule). Needs the Prometheus Operator's CRDs in the cluster (kube-prometheus-stack), which no stack here installs; without them the chart skips both objects."
  type        = bool
  default     = false
}

variable "prometheus_selector_labels" {
  description = "Labels of the ServiceMonitor and PrometheusRule that the Prometheus selects on: kube-prometheus-stack's default selectors want release = <its Helm release name>, e.g. { release = \"kube-prometheus-stack\" }."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for key, value in var.prometheus_selector_labels :
      can(regex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key))
      && can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value))
    ])
    error_message = "prometheus_selector_labels must be Kubernetes label keys and values."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = { Project = "mallbots" }
}
