variable "region" {
  description = "AWS region of every stack."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "mallbots"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; split into public, private and database subnets over 3 AZs."
  type        = string
  default     = "10.40.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 18
    error_message = "vpc_cidr must be a valid CIDR of /18 or larger."
  }
}

variable "availability_zones" {
  description = "The three AZs to use (empty: <region>a, b and c). Named, so the set never changes by itself."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.availability_zones) == 0 || length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must name exactly three distinct zones (or be empty)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per AZ (cheaper, but an AZ outage cuts egress)."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch."
  type        = number
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention value."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = { Project = "mallbots" }
}
