output "bootstrap_brokers_iam" {
  description = "Bootstrap servers for TLS + IAM clients (port 9098), comma-separated."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_iam
}

output "cluster_arn" {
  description = "The cluster's ARN (IAM policies: kafka-cluster:Connect)."
  value       = aws_msk_cluster.this.arn
}

output "cluster_name" {
  description = "The cluster's name."
  value       = aws_msk_cluster.this.cluster_name
}

output "cluster_uuid" {
  description = "The cluster's UUID, part of topic and group ARNs."
  value       = aws_msk_cluster.this.cluster_uuid
}

output "bootstrap_brokers_plaintext" {
  description = "Plaintext bootstrap servers (port 9092); empty unless allow_plaintext_in_vpc."
  value       = aws_msk_cluster.this.bootstrap_brokers
}
