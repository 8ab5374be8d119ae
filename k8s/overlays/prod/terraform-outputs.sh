#!/usr/bin/env bash
# Writes terraform-outputs.env (read by this overlay's configMapGenerator) from the outputs of
# terraform/envs/prod. Usage: k8s/overlays/prod/terraform-outputs.sh IMAGE_TAG
set -euo pipefail
tag="${1:?usage: terraform-outputs.sh IMAGE_TAG}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tf() { terraform -chdir="$here/../../../terraform/envs/prod" output -raw "$1"; }
{
  echo "KAFKA_BOOTSTRAP=$(tf msk_bootstrap_brokers)"
  echo "CHECKPOINT_DIR=$(tf flink_checkpoint_dir)"
  echo "SAVEPOINT_DIR=$(tf flink_savepoint_dir)"
  echo "HA_DIR=$(tf flink_ha_dir)"
  echo "FLINK_ROLE_ARN=$(tf flink_role_arn)"
  echo "PRODUCER_ROLE_ARN=$(tf producer_role_arn)"
  echo "FLINK_JOB_IMAGE=$(tf ecr_flink_job_url):$tag"
  echo "UDF_SERVER_IMAGE=$(tf ecr_udf_server_url):$tag"
  echo "PRODUCER_IMAGE=$(tf ecr_producer_url):$tag"
} > "$here/terraform-outputs.env"
echo "wrote $here/terraform-outputs.env"
