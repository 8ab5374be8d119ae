variable "chart_version" {
  description = "Flink Kubernetes Operator Helm chart version (k8s/crds holds its FlinkDeployment CRD)."
  type        = string
  default     = "1.15.0"
  validation {
    condition     = can(regex("^1\\.[0-9]+\\.[0-9]+$", var.chart_version))
    error_message = "chart_version must look like 1.15.0."
  }
}

variable "namespace" {
  description = "Namespace the operator runs in (k8s/base/networkpolicies.yaml lets it reach the JobManager)."
  type        = string
  default     = "flink-operator"
}

variable "watch_namespaces" {
  description = "Namespaces whose FlinkDeployments the operator reconciles."
  type        = list(string)
  default     = ["crypto-anomaly"]
  validation {
    condition     = length(var.watch_namespaces) >= 1
    error_message = "watch_namespaces must name at least one namespace."
  }
}
