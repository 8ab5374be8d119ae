locals {
  name      = "crypto-anomaly-${var.environment}"
  namespace = "crypto-anomaly"
  # Bucket names are global: the account id makes them unique without hard-coding it.
  state_bucket    = "${local.name}-flink-state-${data.aws_caller_identity.current.account_id}"
  topics          = ["raw-trades", "raw-agg-trades", "raw-klines", "book-ticker", "trade-gaps", "kline-10s", "kline-1m", "alerts", "scored-windows", "late-trades", "dead-letter"]
  producer_topics = ["raw-trades", "raw-agg-trades", "raw-klines", "book-ticker", "trade-gaps", "dead-letter"]
  kafka_topic_arn = "arn:${data.aws_partition.current.partition}:kafka:${var.region}:${data.aws_caller_identity.current.account_id}:topic/${module.msk.cluster_name}/${module.msk.cluster_uuid}"
  kafka_group_arn = "arn:${data.aws_partition.current.partition}:kafka:${var.region}:${data.aws_caller_identity.current.account_id}:group/${module.msk.cluster_name}/${module.msk.cluster_uuid}"
  kafka_txn_arn   = "arn:${data.aws_partition.current.partition}:kafka:${var.region}:${data.aws_caller_identity.current.account_id}:transactional-id/${module.msk.cluster_name}/${module.msk.cluster_uuid}"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

module "vpc" {
  source             = "../../modules/vpc"
  name               = local.name
  azs                = var.azs
  cluster_name       = local.name
  single_nat_gateway = var.environment != "prod"
}

module "eks" {
  source              = "../../modules/eks"
  name                = local.name
  vpc_id              = module.vpc.vpc_id
  subnet_ids          = module.vpc.private_subnet_ids
  public_access_cidrs = var.api_public_access_cidrs
  node_groups = {
    app = {
      instance_types = var.node_instance_types
      min_size       = 1
      desired_size   = var.node_count
      max_size       = var.node_count * 2
    }
  }
}

module "flink_state" {
  source        = "../../modules/s3"
  name          = local.state_bucket
  force_destroy = var.environment != "prod"
  expiration_rules = [
    { prefix = "checkpoints/", days = var.checkpoint_retention_days },
  ]
}

module "ecr" {
  source   = "../../modules/ecr"
  for_each = toset(["flink-job", "udf-server", "producer"])
  name     = "crypto-anomaly/${each.key}"
}

module "msk" {
  source                    = "../../modules/msk"
  name                      = local.name
  vpc_id                    = module.vpc.vpc_id
  subnet_ids                = module.vpc.private_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  instance_type             = var.msk_instance_type
  broker_count              = var.msk_broker_count
  allow_plaintext_in_vpc    = var.msk_allow_plaintext_in_vpc
}

# The Flink JobManager and TaskManagers: read and write checkpoints, savepoints and HA metadata in
# one bucket; read raw-trades and book-ticker, write results in transactions.
module "flink_role" {
  source            = "../../modules/iam-irsa"
  name              = "${local.name}-flink"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  namespace         = local.namespace
  service_account   = "flink"
  policy_statements = [
    { sid = "StateBucketList", actions = ["s3:ListBucket", "s3:GetBucketLocation"], resources = [module.flink_state.arn] },
    { sid = "StateObjects", actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], resources = ["${module.flink_state.arn}/*"] },
    { sid = "StateKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [module.flink_state.kms_key_arn] },
    { sid = "KafkaConnect", actions = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], resources = [module.msk.cluster_arn] },
    { sid = "KafkaTopics", actions = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"], resources = [for t in local.topics : "${local.kafka_topic_arn}/${t}"] },
    { sid = "KafkaGroups", actions = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], resources = ["${local.kafka_group_arn}/crypto-anomaly-*"] },
    { sid = "KafkaTransactions", actions = ["kafka-cluster:AlterTransactionalId", "kafka-cluster:DescribeTransactionalId"], resources = ["${local.kafka_txn_arn}/crypto-anomaly-*"] },
  ]
}

# The producer: writes its input topics, nothing else (no S3, no reads).
module "producer_role" {
  source            = "../../modules/iam-irsa"
  name              = "${local.name}-producer"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  namespace         = local.namespace
  service_account   = "producer"
  policy_statements = [
    { sid = "KafkaConnect", actions = ["kafka-cluster:Connect"], resources = [module.msk.cluster_arn] },
    { sid = "KafkaTopics", actions = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], resources = [for t in local.producer_topics : "${local.kafka_topic_arn}/${t}"] },
  ]
}

module "flink_operator" {
  source           = "../../modules/flink-operator"
  watch_namespaces = [local.namespace]
  depends_on       = [module.eks]
}
