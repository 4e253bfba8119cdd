output "api_url" {
  description = "Base URL of the API on its custom domain; files are created with `POST <api_url>/files`."
  value       = module.api.api_url
}

output "invoke_url" {
  description = "URL of the `POST /files` endpoint."
  value       = module.api.invoke_url
}

output "job_url_template" {
  description = "URL template of an asynchronous job's status: `GET` it with `{job_id}` replaced by the id a 202 answered."
  value       = module.api.job_url_template
}

output "custom_domain_name" {
  description = "Custom domain name of the API."
  value       = module.api.domain_name
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = module.api.rest_api_id
}

output "stage_name" {
  description = "Name of the API stage."
  value       = module.api.stage_name
}

output "api_key_id" {
  description = "ID of the API key (null when none is required); read its value with `aws apigateway get-api-key --api-key <id> --include-value`."
  value       = module.api.api_key_id
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.function.function_name
}

output "worker_function_name" {
  description = "Name of the worker function that runs asynchronous jobs."
  value       = module.function.worker_function_name
}

output "jobs_table_name" {
  description = "Name of the DynamoDB table holding the jobs' state."
  value       = module.function.jobs_table_name
}

output "jobs_queue_url" {
  description = "URL of the SQS queue the jobs wait in (docs/operations.md#jobs-oldest-waiting)."
  value       = module.function.jobs_queue_url
}

output "jobs_dead_letter_queue_url" {
  description = "URL of the jobs' dead-letter queue (docs/operations.md#jobs-dead-letter: read, redrive)."
  value       = module.function.jobs_dead_letter_queue_url
}

output "function_role_arn" {
  description = "ARN of the function's execution role (the only writer the bucket admits)."
  value       = module.function.role_arn
}

output "bucket_name" {
  description = "Name of the bucket in the data account."
  value       = module.data_bucket.bucket_name
}

output "kms_key_arn" {
  description = "ARN of the bucket's customer managed key, or null with SSE-S3."
  value       = module.data_bucket.kms_key_arn
}

output "key_prefix" {
  description = "Key prefix the function writes under."
  value       = var.key_prefix
}

output "region" {
  description = "Region of the deployment."
  value       = var.region
}

output "workload_account_id" {
  description = "Account that runs the API and the function."
  value       = var.workload_account_id
}

output "data_account_id" {
  description = "Account that owns the bucket."
  value       = var.data_account_id
}

output "alarm_topic_arn" {
  description = "ARN of the encrypted SNS topic the alarms notify (subscribe to it, or set alarm_subscriptions)."
  value       = module.monitoring.alarm_topic_arn
}

output "dashboard_name" {
  description = "Name of the environment's CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}

output "function_log_group_name" {
  description = "The function's log group (`make logs ENV=<env>` tails it)."
  value       = module.function.log_group_name
}

output "worker_log_group_name" {
  description = "The worker's log group."
  value       = module.function.worker_log_group_name
}
