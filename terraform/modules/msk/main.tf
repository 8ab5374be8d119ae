resource "aws_security_group" "this" {
  name        = "${var.name}-brokers"
  description = "MSK brokers of ${var.name}: TLS with IAM authentication from the cluster's nodes only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "iam" {
  for_each                     = toset(var.client_security_group_ids)
  security_group_id            = aws_security_group.this.id
  description                  = "Kafka over TLS with IAM authentication"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 9098
  to_port                      = 9098
}

resource "aws_vpc_security_group_ingress_rule" "plaintext" {
  for_each                     = var.allow_plaintext_in_vpc ? toset(var.client_security_group_ids) : toset([])
  security_group_id            = aws_security_group.this.id
  description                  = "Kafka plaintext, unauthenticated (bring-up only)"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 9092
  to_port                      = 9092
}

resource "aws_kms_key" "this" {
  description         = "Encryption at rest of MSK ${var.name}"
  enable_key_rotation = true
  # The default key policy, written out: the account administers the key through IAM.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Account"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:broker logs only; CloudWatch Logs encrypts at rest by default
  name              = "/msk/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_msk_configuration" "this" {
  name           = var.name
  kafka_versions = [var.kafka_version]
  # Topics are created on purpose (docs/decisions/003-topics.md); the exactly-once sinks need
  # transactions that outlast the job's --transaction-timeout (15 min).
  server_properties = <<-PROPS
    auto.create.topics.enable=false
    default.replication.factor=2
    min.insync.replicas=1
    transaction.max.timeout.ms=900000
  PROPS
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count

  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.this.id]
    storage_info {
      ebs_storage_info {
        volume_size = var.volume_size_gb
      }
    }
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  client_authentication {
    unauthenticated = var.allow_plaintext_in_vpc
    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.this.arn
    encryption_in_transit {
      client_broker = var.allow_plaintext_in_vpc ? "TLS_PLAINTEXT" : "TLS"
      in_cluster    = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.this.name
      }
    }
  }

  tags = var.tags
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
