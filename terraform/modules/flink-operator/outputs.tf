output "namespace" {
  description = "The operator's namespace."
  value       = helm_release.this.namespace
}

output "chart_version" {
  description = "The installed chart version."
  value       = helm_release.this.version
}
