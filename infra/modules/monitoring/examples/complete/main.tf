# Every setting: an on-call address and an HTTPS hook, a key administered by the CI apply role,
# and thresholds tuned for a busier service.

provider "aws" {
  region = "eu-west-1"
}

module "monitoring" {
  source = "../.."

  name                        = "randfile-prod"
  environment                 = "prod"
  function_name               = "randfile-prod"
  worker_function_name        = "randfile-prod-worker"
  jobs_queue_name             = "randfile-prod-jobs-queue"
  jobs_dead_letter_queue_name = "randfile-prod-jobs-dead-letter"
  function_timeout_seconds    = 29
  function_log_group_name     = "/aws/lambda/randfile-prod"
  api_name                    = "randfile-prod"
  api_stage_name              = "v1"
  api_access_log_group_name   = "/aws/apigateway/randfile-prod/v1/access"
  usage_plan_daily_quota      = 5000

  alarm_subscriptions = [
    { protocol = "email", endpoint = "oncall@example.com" },
    { protocol = "https", endpoint = "https://hooks.example.com/randfile" },
  ]
  kms_key_administrator_arns = ["arn:aws:iam::111111111111:role/randfile-ci-prod-apply"]
  kms_key_reader_arns        = ["arn:aws:iam::111111111111:role/randfile-ci-prod-plan"]

  api_5xx_rate_threshold       = 0.02
  function_errors_threshold    = 1
  function_throttles_threshold = 5
  duration_timeout_share       = 0.7
  api_4xx_surge_threshold      = 200
  quota_usage_share            = 0.9
  s3_refusals_threshold        = 0

  jobs_failed_threshold                = 0
  datasets_failed_threshold            = 0
  job_oldest_waiting_threshold_seconds = 7200
  jobs_dead_letter_alarm_periods       = 2
  metrics_namespace                    = "randfile"
  tags                                 = { team = "files" }
}
