output "role_arn" {
  description = "The role's ARN, for the service account annotation eks.amazonaws.com/role-arn."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "The role's name."
  value       = aws_iam_role.this.name
}
