# POST /files on files.example.com for one existing function, callable by SigV4-signed principals
# of the workload account carrying the API key: the module's defaults.

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform"
  }
}

module "api" {
  #checkov:skip=CKV_AWS_338:Minimal example: keeps the module's 30-day access log retention; examples/complete sets a year.
  source = "../.."

  name                = "randfile-example"
  function_name       = "randfile-example"
  function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:randfile-example/invocations"
  invoke_principals   = ["111111111111"]
  hosted_zone_name    = "example.com"
  domain_name         = "files.example.com"
}

output "invoke_url" {
  description = "POST here, signed with SigV4 (service execute-api) and with the x-api-key header."
  value       = module.api.invoke_url
}
