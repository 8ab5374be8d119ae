variable "name" {
  description = "Cluster name."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,63}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits and dashes (at most 64)."
  }
}

variable "kafka_version" {
  description = "MSK Kafka version (the project runs Kafka 4.x locally; transactions need 0.11 or later)."
  type        = string
  default     = "3.9.x"
}

variable "vpc_id" {
  description = "VPC of the brokers."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per broker zone; the broker count must be a multiple of their number."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must name at least two subnets."
  }
}

variable "client_security_group_ids" {
  description = "Security groups whose members may connect to the brokers (the EKS cluster/node group)."
  type        = list(string)
}

variable "broker_count" {
  description = "Number of brokers."
  type        = number
  default     = 2
  validation {
    condition     = var.broker_count >= 2
    error_message = "broker_count must be at least 2."
  }
}

variable "instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.t3.small"
  validation {
    condition     = startswith(var.instance_type, "kafka.")
    error_message = "instance_type must be an MSK type (kafka.*)."
  }
}

variable "volume_size_gb" {
  description = "EBS storage per broker."
  type        = number
  default     = 100
  validation {
    condition     = var.volume_size_gb >= 1 && var.volume_size_gb <= 16384
    error_message = "volume_size_gb must be 1..16384."
  }
}

variable "log_retention_days" {
  description = "Retention of the broker logs in CloudWatch."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "allow_plaintext_in_vpc" {
  description = "Also open an unauthenticated plaintext listener (9092) to the client security groups: a bring-up aid for clients without MSK IAM support (docs/deploy.md, \"Kafka authentication\"). Keep false in production."
  type        = bool
  default     = false
}
