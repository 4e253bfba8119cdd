output "function_name" {
  description = "Name of the function (the api module's function_name)."
  value       = module.function.function_name
}

output "invoke_arn" {
  description = "What an API Gateway integration calls (the api module's function_invoke_arn)."
  value       = module.function.invoke_arn
}

output "role_arn" {
  description = "The writer the data bucket's policy must name (the data-bucket module's writer_role_arn)."
  value       = module.function.role_arn
}

output "log_group_name" {
  description = "Where the function logs."
  value       = module.function.log_group_name
}
