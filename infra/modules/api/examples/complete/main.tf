# Every input set: named callers from two accounts, a custom stage, stage-wide and per-key limits,
# access log retention, and the account-wide API Gateway logging role left to another stack.

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform"
  }

  default_tags {
    tags = {
      project = "randfile-example"
    }
  }
}

module "api" {
  source = "../.."

  name                = "randfile-example"
  function_name       = "randfile-example"
  function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:randfile-example/invocations"

  authorization     = "AWS_IAM"
  invoke_principals = ["arn:aws:iam::111111111111:role/uploader", "333333333333"]
  api_key_required  = true

  stage_name                = "v2"
  throttling_rate_limit     = 20
  throttling_burst_limit    = 40
  usage_plan_rate_limit     = 5
  usage_plan_burst_limit    = 10
  usage_plan_daily_quota    = 2000
  access_log_retention_days = 365


  hosted_zone_name = "example.com"
  domain_name      = "files.example.com"

  tags = {
    service = "randfile"
  }
}
