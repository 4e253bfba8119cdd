output "name" {
  description = "`<prefix>-<environment>`: the API function, the REST API, the dashboard, and the start of every other name."
  value       = local.name
}

output "name_patterns" {
  description = "Patterns that match every name the stack creates (the data bucket `<name>-<account>-<region>` included): the scope of an environment's CI roles."
  value       = [local.name, "${local.name}-*"]
}

output "function_role" {
  description = "The execution role of both functions."
  value       = "${local.name}-function"
}

output "worker_function" {
  description = "The worker function (the function module's `<function_name>-worker`)."
  value       = "${local.name}-worker"
}

output "function_log_groups" {
  description = "The two functions' log groups, by function: `api`, `worker`."
  value = {
    api    = "/aws/lambda/${local.name}"
    worker = "/aws/lambda/${local.name}-worker"
  }
}

output "api_log_groups_pattern" {
  description = "The REST API's access log groups (`/aws/apigateway/<name>/<stage>/access`)."
  value       = "/aws/apigateway/${local.name}/*"
}

output "jobs_table" {
  description = "The jobs table (DynamoDB)."
  value       = "${local.name}-jobs"
}

output "jobs_queue" {
  description = "The jobs queue (SQS)."
  value       = "${local.name}-jobs-queue"
}

output "jobs_dead_letter_queue" {
  description = "The jobs queue's dead-letter queue (SQS)."
  value       = "${local.name}-jobs-dead-letter"
}

output "retired_jobs_failed_queue" {
  description = "The failed-jobs queue of the worker's former Event invoke, which the first apply of the queue version deletes (CHANGELOG.md, Removed)."
  value       = "${local.name}-jobs-failed"
}

output "data_key_alias" {
  description = "The data bucket key's alias."
  value       = "alias/${local.name}-data"
}

output "alarm_topic" {
  description = "The alarm topic (SNS)."
  value       = "${local.name}-alarms"
}

output "alarm_key_alias" {
  description = "The alarm topic key's alias."
  value       = "alias/${local.name}-alarms"
}

output "alarms_pattern" {
  description = "Every alarm's name (`<name>-<alarm>`)."
  value       = "${local.name}-*"
}

output "dashboard" {
  description = "The CloudWatch dashboard."
  value       = local.name
}
