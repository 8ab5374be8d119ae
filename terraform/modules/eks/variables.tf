variable "name" {
  description = "Cluster name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name))
    error_message = "name must be 2-39 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (native gRPC probes need 1.27 or later)."
  type        = string
  default     = "1.33"
  validation {
    condition     = can(regex("^1\\.(2[7-9]|3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be 1.27 to 1.39."
  }
}

variable "vpc_id" {
  description = "VPC the cluster runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the control plane's interfaces and the nodes (two zones at least)."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must name at least two subnets."
  }
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty = private endpoint only."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must be IPv4 CIDR blocks."
  }
}

variable "node_groups" {
  description = "Managed node groups by name: instance types and sizes."
  type = map(object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
    disk_size_gb   = optional(number, 50)
    capacity_type  = optional(string, "ON_DEMAND")
  }))
  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.min_size <= g.desired_size && g.desired_size <= g.max_size && g.min_size >= 1])
    error_message = "Every node group needs 1 <= min_size <= desired_size <= max_size."
  }
  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["ON_DEMAND", "SPOT"], g.capacity_type)])
    error_message = "capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "log_retention_days" {
  description = "Retention of the control plane's audit and API logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
