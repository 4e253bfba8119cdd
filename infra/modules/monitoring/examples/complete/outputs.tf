output "alarm_topic_arn" {
  description = "ARN of the alarm topic."
  value       = module.monitoring.alarm_topic_arn
}

output "dashboard_name" {
  description = "Name of the dashboard."
  value       = module.monitoring.dashboard_name
}
