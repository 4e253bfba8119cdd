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

output "failed_jobs_queue_name" {
  description = "Name of the SQS queue receiving the records of jobs that failed every attempt."
  value       = aws_sqs_queue.failed_jobs.name
}

output "failed_jobs_queue_url" {
  description = "URL of that queue (read its messages with `aws sqs receive-message --queue-url <url>`)."
  value       = aws_sqs_queue.failed_jobs.url
}

output "environment_variables" {
  description = "The environment both functions run with (the service's configuration; it holds no secrets)."
  value       = aws_lambda_function.worker.environment[0].variables
}
