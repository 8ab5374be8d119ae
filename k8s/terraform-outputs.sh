#!/usr/bin/env bash
# Writes k8s/overlays/ENV/terraform-outputs.env (read by that overlay's configMapGenerator) from the
# outputs of terraform/envs/ENV. Usage: k8s/terraform-outputs.sh dev|prod IMAGE_TAG
set -euo pipefail
env="${1:?usage: terraform-outputs.sh dev|prod IMAGE_TAG}"
tag="${2:?usage: terraform-outputs.sh dev|prod IMAGE_TAG}"
case "$env" in dev | prod) ;; *) echo "environment must be dev or prod, got $env" >&2; exit 2 ;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tf() { terraform -chdir="$here/../terraform/envs/$env" output -raw "$1"; }
out="$here/overlays/$env/terraform-outputs.env"
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
} > "$out"
echo "wrote $out"
