variable "name" {
  description = "Repository name, e.g. crypto-anomaly/flink-job."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.name))
    error_message = "name must be a valid ECR repository name."
  }
}

variable "keep_images" {
  description = "How many tagged images to keep (older ones are expired; rollbacks need a few)."
  type        = number
  default     = 20
  validation {
    condition     = var.keep_images >= 2
    error_message = "keep_images must be at least 2, or there is nothing to roll back to."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
