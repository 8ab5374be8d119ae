# Read by k8s/terraform-outputs.sh into the prod overlay's settings.
output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "msk_bootstrap_brokers" {
  description = "MSK bootstrap servers the clients use: TLS + IAM (9098), or plaintext (9092) while msk_allow_plaintext_in_vpc."
  value       = var.msk_allow_plaintext_in_vpc ? module.msk.bootstrap_brokers_plaintext : module.msk.bootstrap_brokers_iam
}

output "flink_state_bucket" {
  description = "Bucket of checkpoints, savepoints and HA metadata."
  value       = module.flink_state.bucket
}

output "flink_checkpoint_dir" {
  description = "execution.checkpointing.dir of the FlinkDeployment."
  value       = "s3://${module.flink_state.bucket}/checkpoints"
}

output "flink_savepoint_dir" {
  description = "execution.checkpointing.savepoint-dir of the FlinkDeployment."
  value       = "s3://${module.flink_state.bucket}/savepoints"
}

output "flink_ha_dir" {
  description = "high-availability.storageDir of the FlinkDeployment."
  value       = "s3://${module.flink_state.bucket}/ha"
}

output "flink_role_arn" {
  description = "IRSA role of the flink service account."
  value       = module.flink_role.role_arn
}

output "producer_role_arn" {
  description = "IRSA role of the producer service account."
  value       = module.producer_role.role_arn
}

output "ecr_flink_job_url" {
  description = "ECR repository of the Flink job image."
  value       = module.ecr["flink-job"].repository_url
}

output "ecr_udf_server_url" {
  description = "ECR repository of the scoring sidecar image."
  value       = module.ecr["udf-server"].repository_url
}

output "ecr_producer_url" {
  description = "ECR repository of the producer image."
  value       = module.ecr["producer"].repository_url
}
