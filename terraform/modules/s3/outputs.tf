output "bucket" {
  description = "The bucket's name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "The KMS key that encrypts the bucket (readers and writers need kms:Decrypt/GenerateDataKey on it)."
  value       = aws_kms_key.this.arn
}
