# The alarms, topic, dashboard and queries of one environment, notifying nobody yet.

provider "aws" {
  region = "eu-west-1"
}

module "monitoring" {
  source = "../.."

  name                        = "randfile-dev"
  environment                 = "dev"
  function_name               = "randfile-dev"
  worker_function_name        = "randfile-dev-worker"
  jobs_queue_name             = "randfile-dev-jobs-queue"
  jobs_dead_letter_queue_name = "randfile-dev-jobs-dead-letter"
  function_timeout_seconds    = 29
  function_log_group_name     = "/aws/lambda/randfile-dev"
  api_name                    = "randfile-dev"
  api_stage_name              = "v1"
  api_access_log_group_name   = "/aws/apigateway/randfile-dev/v1/access"
  usage_plan_daily_quota      = 1000
}
