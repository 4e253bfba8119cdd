# Every validation block rejects a bad value. A run fails unless each variable it lists in
# expect_failures fails its own validation, so one run can check several. Terraform skips the
# rules of a variable that refer to another variable when that one is invalid, so authorization
# and hosted_zone_name are only made invalid where invoke_principals, api_key_required and
# domain_name are not under test, and the rules comparing two variables get runs of their own.

# Plans go past a valid value, and for_each over the certificate's validation options needs them
# known while planning (the real provider plans them from the domain name).
mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "rejects_bad_values" {
  command = plan

  variables {
    name                      = "randfile test"
    invoke_principals         = ["arn:aws:iam::111111111111:group/callers"]
    stage_name                = "v/1"
    throttling_rate_limit     = 0
    throttling_burst_limit    = 0
    usage_plan_rate_limit     = 0
    usage_plan_burst_limit    = 0
    usage_plan_daily_quota    = 0
    access_log_retention_days = 2
    domain_name               = "files_api.example.com"
  }

  expect_failures = [
    var.name,
    var.invoke_principals,
    var.stage_name,
    var.throttling_rate_limit,
    var.throttling_burst_limit,
    var.usage_plan_rate_limit,
    var.usage_plan_burst_limit,
    var.usage_plan_daily_quota,
    var.access_log_retention_days,
    var.domain_name,
  ]
}

run "rejects_other_bad_values" {
  command = plan

  variables {
    name                      = "a-rest-api-name-of-more-than-sixty-four-characters-is-not-accepted"
    authorization             = "aws_iam"
    stage_name                = ""
    throttling_rate_limit     = -1
    throttling_burst_limit    = 1.5
    usage_plan_rate_limit     = -1
    usage_plan_burst_limit    = 2.5
    usage_plan_daily_quota    = 0.5
    access_log_retention_days = 366
    hosted_zone_name          = "example"
  }

  expect_failures = [
    var.name,
    var.authorization,
    var.stage_name,
    var.throttling_rate_limit,
    var.throttling_burst_limit,
    var.usage_plan_rate_limit,
    var.usage_plan_burst_limit,
    var.usage_plan_daily_quota,
    var.access_log_retention_days,
    var.hosted_zone_name,
  ]
}

run "iam_needs_a_principal_and_the_domain_its_zone" {
  command = plan

  variables {
    invoke_principals = []
    domain_name       = "files.example.org"
  }

  expect_failures = [var.invoke_principals, var.domain_name]
}

run "no_authorization_needs_the_api_key" {
  command = plan

  variables {
    authorization     = "NONE"
    invoke_principals = []
    api_key_required  = false
  }

  expect_failures = [var.api_key_required]
}
