variable "region" {
  description = "AWS region to deploy into, e.g. eu-west-1 (no default: chosen per deployment)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "prod"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "azs" {
  description = "Availability zones of var.region to use (two or three)."
  type        = list(string)
  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3
    error_message = "azs must list two or three zones."
  }
}

variable "api_public_access_cidrs" {
  description = "CIDRs that may reach the EKS API endpoint from outside the VPC (the operators' addresses); empty = private only."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "Instance types of the application node group (a TaskManager with its sidecar asks for 3 vCPU)."
  type        = list(string)
  default     = ["m6i.xlarge"]
}

variable "node_count" {
  description = "Desired application nodes (min 1, max twice this)."
  type        = number
  default     = 2
  validation {
    condition     = var.node_count >= 1 && var.node_count <= 50
    error_message = "node_count must be 1..50."
  }
}

variable "msk_instance_type" {
  description = "MSK broker instance type."
  type        = string
  default     = "kafka.m7g.large"
}

variable "msk_broker_count" {
  description = "MSK brokers (a multiple of the number of zones)."
  type        = number
  default     = 2
}

variable "checkpoint_retention_days" {
  description = "Days after which objects under checkpoints/ expire (Flink keeps only the newest few; savepoints never expire by rule)."
  type        = number
  default     = 14
  validation {
    condition     = var.checkpoint_retention_days >= 2
    error_message = "checkpoint_retention_days must be at least 2."
  }
}

variable "msk_allow_plaintext_in_vpc" {
  description = "Open MSK's plaintext listener inside the VPC until the producer and the job speak MSK IAM (docs/deploy.md, \"Kafka authentication\")."
  type        = bool
  default     = false
}
