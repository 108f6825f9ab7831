variable "region" {
  description = "AWS region of every stack."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name" {
  description = "Name of the image repository."
  type        = string
  default     = "mallbots"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "keep_images" {
  description = "How many tagged release images the lifecycle policy keeps."
  type        = number
  default     = 50
  validation {
    condition     = var.keep_images >= 5
    error_message = "keep_images must be at least 5, to leave room for rollbacks."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = { Project = "mallbots" }
}
