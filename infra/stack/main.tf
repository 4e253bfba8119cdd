# Every name the stack creates, derived where infra/bootstrap reads them too (the CI roles are
# scoped to them); tests/stack.tftest.hcl checks the modules create exactly these.
module "names" {
  source = "../modules/_names"

  environment = var.environment
}

locals {
  name = module.names.name

  default_tags = {
    project     = "randfile"
    environment = var.environment
    managed-by  = "terraform"
    repository  = var.repository
  }

  # Built from names rather than read from the role, so the bucket policy (data account) and the
  # role (workload account) do not depend on each other.
  function_role_name = module.names.function_role
  function_role_arn  = "arn:${data.aws_partition.workload.partition}:iam::${var.workload_account_id}:role/${local.function_role_name}"
}

data "aws_partition" "workload" {
  provider = aws.workload
}

module "data_bucket" {
  source    = "../modules/data-bucket"
  providers = { aws = aws.data }

  name                               = local.name
  bucket_name                        = var.bucket_name
  writer_role_arn                    = local.function_role_arn
  key_prefix                         = var.key_prefix
  kms_encryption                     = var.kms_encryption
  kms_key_administrator_arns         = local.bucket_kms_key_administrator_arns
  kms_key_reader_arns                = local.bucket_kms_key_reader_arns
  current_version_expiration_days    = local.current_version_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  force_destroy                      = var.bucket_force_destroy
}

module "function" {
  source    = "../modules/function"
  providers = { aws = aws.workload }

  function_name        = local.name
  role_name            = local.function_role_name
  zip_path             = var.function_zip_path
  bucket_name          = module.data_bucket.bucket_name
  bucket_arn           = module.data_bucket.bucket_arn
  bucket_owner         = var.data_account_id
  key_prefix           = var.key_prefix
  kms_key_arn          = module.data_bucket.kms_key_arn
  max_sync_bytes       = var.max_sync_bytes
  max_bytes            = var.max_bytes
  max_job_bytes        = var.max_job_bytes
  max_dataset_files    = var.max_dataset_files
  max_dataset_bytes    = var.max_dataset_bytes
  job_retention_days   = var.job_retention_days
  memory_size          = var.function_memory_size
  timeout              = var.function_timeout
  worker_timeout       = var.worker_timeout
  worker_memory_size   = var.worker_memory_size
  reserved_concurrency = var.function_reserved_concurrency

  worker_max_concurrency = var.worker_max_concurrency
  job_max_receive_count  = var.job_max_receive_count
  log_retention_days     = var.log_retention_days
  environment            = var.environment

  jobs_table_deletion_protection    = var.jobs_table_deletion_protection
  jobs_table_point_in_time_recovery = var.jobs_table_point_in_time_recovery
  permissions_boundary_arn          = var.role_permissions_boundary_arn
}

module "api" {
  source    = "../modules/api"
  providers = { aws = aws.workload }

  name                      = local.name
  function_name             = module.function.function_name
  function_invoke_arn       = module.function.invoke_arn
  authorization             = var.api_authorization
  invoke_principals         = length(var.api_invoke_principals) > 0 ? var.api_invoke_principals : [var.workload_account_id]
  api_key_required          = var.api_key_required
  stage_name                = var.api_stage_name
  throttling_rate_limit     = var.api_throttling_rate_limit
  throttling_burst_limit    = var.api_throttling_burst_limit
  usage_plan_rate_limit     = var.api_usage_plan_rate_limit
  usage_plan_burst_limit    = var.api_usage_plan_burst_limit
  usage_plan_daily_quota    = var.api_usage_plan_daily_quota
  access_log_retention_days = var.log_retention_days
  hosted_zone_name          = var.hosted_zone_name
  domain_name               = var.domain_name
}

module "monitoring" {
  source    = "../modules/monitoring"
  providers = { aws = aws.workload }

  name                        = local.name
  environment                 = var.environment
  function_name               = module.function.function_name
  worker_function_name        = module.function.worker_function_name
  jobs_queue_name             = module.function.jobs_queue_name
  jobs_dead_letter_queue_name = module.function.jobs_dead_letter_queue_name
  function_timeout_seconds    = var.function_timeout
  function_log_group_name     = module.function.log_group_name
  api_name                    = local.name
  api_stage_name              = module.api.stage_name
  api_access_log_group_name   = module.api.access_log_group_name
  usage_plan_daily_quota      = var.api_usage_plan_daily_quota
  alarm_subscriptions         = var.alarm_subscriptions
  create_query_definitions    = var.create_query_definitions
  kms_key_administrator_arns  = local.alarm_kms_key_administrator_arns
  kms_key_reader_arns         = local.alarm_kms_key_reader_arns

  jobs_failed_threshold                = var.jobs_failed_threshold
  job_oldest_waiting_threshold_seconds = var.job_oldest_waiting_threshold_seconds
  jobs_dead_letter_alarm_periods       = var.jobs_dead_letter_alarm_periods
}
