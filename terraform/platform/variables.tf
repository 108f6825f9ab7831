variable "region" {
  description = "AWS region of every stack."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name" {
  description = "Name of the cluster and prefix of its resources."
  type        = string
  default     = "mallbots"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "state_bucket" {
  description = "S3 bucket of the stacks' states (the network stack's outputs are read from it)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the chart is tested against 1.30 and the newest schema)."
  type        = string
  default     = "1.33"
  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be 1.30 or newer, as 1.NN."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on a public address too (off: reachable from the VPC only)."
  type        = bool
  default     = false
}

variable "endpoint_public_access_cidrs" {
  description = "Who may reach the public API endpoint when it is on."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.endpoint_public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "endpoint_public_access_cidrs: valid CIDRs, and not 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m7i.large", "m6i.large"]
  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types needs at least one type."
  }
}

variable "node_min_size" {
  description = "Fewest nodes (at least one per AZ)."
  type        = number
  default     = 3
  validation {
    condition     = var.node_min_size >= 3
    error_message = "node_min_size must be at least 3 (one per AZ)."
  }
}

variable "node_max_size" {
  description = "Most nodes."
  type        = number
  default     = 9
}

variable "log_retention_days" {
  description = "Days the control-plane logs are kept."
  type        = number
  default     = 365
}

variable "aws_load_balancer_controller_version" {
  description = "Version of the eks-charts aws-load-balancer-controller chart."
  type        = string
  default     = "1.13.4"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.aws_load_balancer_controller_version))
    error_message = "aws_load_balancer_controller_version must be an exact version, e.g. 1.13.4."
  }
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin through EKS access entries (your platform team)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = { Project = "mallbots" }
}
