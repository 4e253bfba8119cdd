output "invoke_url" {
  description = "POST here, signed with SigV4 (service execute-api) and with the x-api-key header."
  value       = module.api.invoke_url
}

output "api_key_id" {
  description = "Read the key's value with `aws apigateway get-api-key --api-key <id> --include-value`."
  value       = module.api.api_key_id
}

output "execution_arn" {
  description = "Prefix of the ARNs callers' IAM policies allow execute-api:Invoke on."
  value       = module.api.execution_arn
}

output "access_log_group_name" {
  description = "Where the stage's access logs go."
  value       = module.api.access_log_group_name
}
