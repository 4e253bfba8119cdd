output "state_bucket_name" {
  description = "Terraform state bucket: the `bucket` of infra/stack/envs/<env>.s3.tfbackend."
  value       = aws_s3_bucket.state.bucket
}

output "state_keys" {
  description = "State object key of each environment: the `key` of infra/stack/envs/<env>.s3.tfbackend."
  value       = local.state_keys
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC identity provider the workload roles trust."
  value       = local.oidc_provider_arn
}

output "workload_pr_role_arns" {
  description = "Per environment, the read-only workload-account role pull-request jobs assume (GitHub variable WORKLOAD_PR_ROLE_ARN_<ENV>); with it they assume the data plan role."
  value       = { for env in var.environments : env => aws_iam_role.workload["${env}-pr"].arn }
}

output "workload_plan_role_arns" {
  description = "Per environment, the workload-account role the deploy's plan job and the drift check assume (drift environment); it alone may create saved plans."
  value       = { for env in var.environments : env => aws_iam_role.workload["${env}-plan"].arn }
}

output "workload_apply_role_arns" {
  description = "Per environment, the workload-account role deploy jobs in that GitHub environment assume."
  value       = { for env in var.environments : env => aws_iam_role.workload["${env}-apply"].arn }
}

output "data_plan_role_arns" {
  description = "Per environment, the data-account role the stack's aws.data provider assumes during plan (deploy plan job, drift check and pull requests)."
  value       = { for env in var.environments : env => aws_iam_role.data["${env}-plan"].arn }
}

output "data_apply_role_arns" {
  description = "Per environment, the data-account role the stack's aws.data provider assumes during apply."
  value       = { for env in var.environments : env => aws_iam_role.data["${env}-apply"].arn }
}

output "github_variables" {
  description = "GitHub repository variables the workflows read, name => value (see docs/deploying.md)."
  value = merge(
    { AWS_REGION = var.region },
    merge([
      for env in var.environments : {
        "WORKLOAD_ACCOUNT_ID_${upper(env)}"     = var.workload_account_id
        "DATA_ACCOUNT_ID_${upper(env)}"         = var.data_account_id
        "WORKLOAD_PR_ROLE_ARN_${upper(env)}"    = aws_iam_role.workload["${env}-pr"].arn
        "WORKLOAD_PLAN_ROLE_ARN_${upper(env)}"  = aws_iam_role.workload["${env}-plan"].arn
        "WORKLOAD_APPLY_ROLE_ARN_${upper(env)}" = aws_iam_role.workload["${env}-apply"].arn
        "DATA_PLAN_ROLE_ARN_${upper(env)}"      = aws_iam_role.data["${env}-plan"].arn
        "DATA_APPLY_ROLE_ARN_${upper(env)}"     = aws_iam_role.data["${env}-apply"].arn
      }
    ]...),
  )
}

output "stack_inputs" {
  description = "Per environment, the infra/stack inputs that name what this bootstrap made: copy them into infra/stack/envs/<env>.tfvars."
  value = {
    for env in var.environments : env => {
      role_permissions_boundary_arn     = aws_iam_policy.stack_role_boundary[env].arn
      bucket_kms_key_administrator_arns = [aws_iam_role.data["${env}-apply"].arn]
      bucket_kms_key_reader_arns        = [aws_iam_role.data["${env}-plan"].arn]
      alarm_kms_key_administrator_arns  = [aws_iam_role.workload["${env}-apply"].arn]
      alarm_kms_key_reader_arns         = [aws_iam_role.workload["${env}-plan"].arn, aws_iam_role.workload["${env}-pr"].arn]
    }
  }
}
