output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role (the writer the bucket policy names)."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "worker_function_name" {
  description = "Name of the worker function, which runs asynchronous jobs."
  value       = aws_lambda_function.worker.function_name
}

output "worker_function_arn" {
  description = "ARN of the worker function."
  value       = aws_lambda_function.worker.arn
}

output "worker_memory_size" {
  description = "Memory of the worker in MB."
  value       = aws_lambda_function.worker.memory_size
}

output "worker_max_concurrency" {
  description = "Most worker runs the jobs queue's event source mapping starts at once."
  value       = one(aws_lambda_event_source_mapping.worker["jobs"].scaling_config).maximum_concurrency
}

output "job_max_receive_count" {
  description = "Deliveries of a job's message before it moves to the dead-letter queue (the attempts a job gets)."
  value       = jsondecode(aws_sqs_queue.jobs.redrive_policy).maxReceiveCount
}

output "worker_log_group_name" {
  description = "Name of the worker's log group."
  value       = aws_cloudwatch_log_group.worker.name
}

output "jobs_table_name" {
  description = "Name of the DynamoDB table holding the jobs and their idempotency records."
  value       = aws_dynamodb_table.jobs.name
}

output "jobs_table_arn" {
  description = "ARN of the jobs table."
  value       = aws_dynamodb_table.jobs.arn
}

output "jobs_queue_name" {
  description = "Name of the SQS queue the API function sends jobs to and the worker receives them from (the monitoring module alarms on the age of its oldest message)."
  value       = aws_sqs_queue.jobs.name
}

output "jobs_queue_url" {
  description = "URL of the jobs queue (RANDFILE_JOB_QUEUE_URL)."
  value       = aws_sqs_queue.jobs.url
}

output "jobs_queue_arn" {
  description = "ARN of the jobs queue."
  value       = aws_sqs_queue.jobs.arn
}

output "jobs_dead_letter_queue_name" {
  description = "Name of the jobs queue's dead-letter queue: messages of jobs whose every attempt failed, which the worker then ends `failed` (the monitoring module alarms on messages left in it)."
  value       = aws_sqs_queue.jobs_dead_letter.name
}

output "jobs_dead_letter_queue_url" {
  description = "URL of the dead-letter queue (read it with `aws sqs receive-message --queue-url <url>`; redrive with `aws sqs start-message-move-task`, docs/operations.md)."
  value       = aws_sqs_queue.jobs_dead_letter.url
}

output "jobs_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN)."
  value       = aws_sqs_queue.jobs_dead_letter.arn
}

output "worker_event_source_mapping_uuids" {
  description = "UUIDs of the worker's event source mappings, by queue (`jobs`, `jobs_dead_letter`): disable one with `aws lambda update-event-source-mapping --uuid <uuid> --no-enabled`."
  value       = { for queue, mapping in aws_lambda_event_source_mapping.worker : queue => mapping.uuid }
}

output "environment_variables" {
  description = "The environment both functions run with (the service's configuration; it holds no secrets)."
  value       = aws_lambda_function.worker.environment[0].variables
}
