variable "name" {
  description = "IAM role name."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 characters)."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without https://."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the service account."
  type        = string
}

variable "service_account" {
  description = "Name of the only Kubernetes service account that may assume the role."
  type        = string
}

variable "policy_statements" {
  description = "The role's permissions: IAM policy statements (least privilege: name actions and resources exactly)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  validation {
    condition     = alltrue([for s in var.policy_statements : !contains(s.actions, "*") && !contains(s.resources, "*")])
    error_message = "policy_statements must not grant * actions or * resources."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
