output "json" {
  description = "The key policy's common statements as a policy document, for an aws_iam_policy_document's source_policy_documents."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

output "administrator_actions" {
  description = "The actions the key administrators get."
  value       = local.administrator_actions
}
