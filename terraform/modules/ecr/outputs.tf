output "repository_url" {
  description = "Registry URL to tag and push images to."
  value       = aws_ecr_repository.this.repository_url
}

output "arn" {
  description = "The repository's ARN."
  value       = aws_ecr_repository.this.arn
}
