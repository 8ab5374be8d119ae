variable "name" {
  description = "Name prefix of every resource."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cidr" {
  description = "The VPC's IPv4 CIDR block."
  type        = string
  default     = "10.40.0.0/16"
  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "cidr must be a valid IPv4 CIDR block."
  }
}

variable "azs" {
  description = "Availability zones: one public and one private subnet each (at least 2, EKS and MSK need two)."
  type        = list(string)
  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 4
    error_message = "azs must list 2 to 4 availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all private subnets (cheaper) instead of one per zone (survives a zone outage)."
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "EKS cluster name, tagged on the subnets so load balancers find them."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
