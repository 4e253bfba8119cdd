output "api_url" {
  description = "Base URL of the API on its custom domain (`https://<domain_name>`)."
  value       = "https://${aws_api_gateway_base_path_mapping.this.domain_name}"
}

output "invoke_url" {
  description = "URL of the `POST /files` endpoint on the custom domain."
  value       = "https://${aws_api_gateway_base_path_mapping.this.domain_name}/${aws_api_gateway_resource.collection["files"].path_part}"
}

output "job_url_template" {
  description = "URL template of a job's status, `GET` on the custom domain (`{job_id}` is the id a 202 answers)."
  value       = "https://${aws_api_gateway_base_path_mapping.this.domain_name}/${aws_api_gateway_resource.collection["files"].path_part}/${aws_api_gateway_resource.item["job"].path_part}"
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (prefix of the ARNs that `execute-api:Invoke` policies name)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "domain_name" {
  description = "Custom domain name of the API."
  value       = aws_api_gateway_domain_name.this.domain_name
}

output "regional_domain_name" {
  description = "API Gateway's regional host name that the custom domain's alias records point to."
  value       = aws_api_gateway_domain_name.this.regional_domain_name
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate of the custom domain."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "api_key_id" {
  description = "ID of the API key attached to the usage plan, or null when `api_key_required` is false. Read its value with `aws apigateway get-api-key --api-key <id> --include-value`; it is never an output."
  value       = var.api_key_required ? aws_api_gateway_api_key.this[0].id : null
}

output "usage_plan_id" {
  description = "ID of the usage plan."
  value       = aws_api_gateway_usage_plan.this.id
}

output "access_log_group_name" {
  description = "Name of the stage's access log group."
  value       = aws_cloudwatch_log_group.stage["access"].name
}

output "execution_log_group_name" {
  description = "Name of the stage's execution log group (`API-Gateway-Execution-Logs_<api-id>/<stage>`), created here so it has a retention."
  value       = aws_cloudwatch_log_group.stage["execution"].name
}
