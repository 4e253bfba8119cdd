# Bad values are refused at plan time with a message.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                      = "randfile-test"
  environment               = "test"
  function_name             = "randfile-test"
  function_timeout_seconds  = 29
  function_log_group_name   = "/aws/lambda/randfile-test"
  api_name                  = "randfile-test"
  api_stage_name            = "v1"
  api_access_log_group_name = "/aws/apigateway/randfile-test/v1/access"
  usage_plan_daily_quota    = 1000
}

run "bad_values_are_refused" {
  command = plan

  variables {
    name                         = "no spaces"
    environment                  = "Prod"
    function_timeout_seconds     = 0
    usage_plan_daily_quota       = 0
    alarm_subscriptions          = [{ protocol = "sms", endpoint = "+15550100" }]
    api_5xx_rate_threshold       = 1
    function_errors_threshold    = -1
    function_throttles_threshold = -1
    duration_timeout_share       = 1.5
    api_4xx_surge_threshold      = 0
    quota_usage_share            = 0
    s3_refusals_threshold        = -1
  }

  expect_failures = [
    var.name, var.environment, var.function_timeout_seconds, var.usage_plan_daily_quota,
    var.alarm_subscriptions, var.api_5xx_rate_threshold, var.function_errors_threshold,
    var.function_throttles_threshold, var.duration_timeout_share, var.api_4xx_surge_threshold,
    var.quota_usage_share, var.s3_refusals_threshold,
  ]
}

run "an_http_subscription_is_refused" {
  command = plan

  variables {
    alarm_subscriptions = [{ protocol = "https", endpoint = "http://hooks.example.com/plain" }]
  }

  expect_failures = [var.alarm_subscriptions]
}
