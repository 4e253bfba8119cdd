output "alarm_topic_arn" {
  description = "ARN of the encrypted SNS topic every alarm (and its return to OK) is sent to."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_key_arn" {
  description = "ARN of the customer managed key that encrypts the alarm topic."
  value       = aws_kms_key.alarms.arn
}

output "alarm_names" {
  description = "Alarm names by alarm (the keys are docs/operations.md's sections)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "query_definition_names" {
  description = "Names of the saved Logs Insights queries, by query."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.name }
}
