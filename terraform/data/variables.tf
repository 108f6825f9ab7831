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

variable "state_bucket" {
  description = "S3 bucket of the stacks' states (network and platform outputs are read from it)."
  type        = string
}

variable "postgres_version" {
  description = "RDS PostgreSQL engine version (major.minor)."
  type        = string
  default     = "17.6"
  validation {
    condition     = can(regex("^1[5-9]\\.[0-9]+$", var.postgres_version))
    error_message = "postgres_version must be 15 or newer, as major.minor."
  }
}

variable "db_instance_class" {
  description = "Instance class of the shared PostgreSQL server."
  type        = string
  default     = "db.m7g.large"
  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS class such as db.m7g.large."
  }
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB (grows automatically up to db_max_allocated_storage)."
  type        = number
  default     = 100
  validation {
    condition     = var.db_allocated_storage >= 20
    error_message = "db_allocated_storage must be at least 20 GiB."
  }
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 1000
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "module_databases" {
  description = "Modules that get a PostgreSQL server of their own (MALLBOTS_DATABASE_URL_<MODULE>), with its instance class."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for module, class in var.module_databases :
      contains(["stores", "customers", "baskets", "ordering", "payments", "depot", "notifications", "search", "cosec"], module) && startswith(class, "db.")
    ])
    error_message = "module_databases: keys are MallBots modules, values RDS instance classes."
  }
}

variable "redis_version" {
  description = "ElastiCache Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.m7g.large"
  validation {
    condition     = startswith(var.redis_node_type, "cache.")
    error_message = "redis_node_type must be an ElastiCache type such as cache.m7g.large."
  }
}

variable "redis_replicas" {
  description = "Nodes of the replication group (a primary and its replicas, spread over the AZs)."
  type        = number
  default     = 3
  validation {
    condition     = var.redis_replicas >= 2 && var.redis_replicas <= 6
    error_message = "redis_replicas must be 2 to 6 (automatic failover needs a replica)."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = { Project = "mallbots" }
}
