variable "name" {
  description = "Bucket name (globally unique)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or dashes."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object's old version is kept."
  type        = number
  default     = 30
  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "expiration_rules" {
  description = "Prefixes whose current objects expire after some days (e.g. checkpoints/ that Flink has long subsumed). Savepoints are kept: name no rule for them."
  type = list(object({
    prefix = string
    days   = number
  }))
  default = []
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty bucket (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
