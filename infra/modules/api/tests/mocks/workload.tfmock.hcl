# What the workload account's provider would answer for the names the tests use.

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_route53_zone" {
  defaults = {
    zone_id = "Z0EXAMPLEZONE"
  }
}

# Resources that take a policy check that it parses as JSON, even against a mock: a valid empty
# policy stands in for each document, whose statements the tests read instead.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    id               = "a1b2c3d4e5"
    root_resource_id = "r00tr00t01"
    execution_arn    = "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5"
  }
}

# API Gateway derives a resource's path from its parent's and its path_part.
mock_resource "aws_api_gateway_resource" {
  defaults = {
    id   = "f1l3s0"
    path = "/files"
  }
}

# Fixed IDs keep the deployment trigger, which hashes them, comparable between runs.
mock_resource "aws_api_gateway_method" {
  defaults = {
    id = "agm-a1b2c3d4e5-f1l3s0-POST"
  }
}

mock_resource "aws_api_gateway_integration" {
  defaults = {
    id = "agi-a1b2c3d4e5-f1l3s0-POST"
  }
}

# The deployment's trigger hashes the gateway responses' IDs: a fixed one keeps it reproducible
# (every type gets the same here; API Gateway's are aggr-<api id>-<type>).
mock_resource "aws_api_gateway_gateway_response" {
  defaults = {
    id = "aggr-a1b2c3d4e5-mocked"
  }
}

mock_resource "aws_api_gateway_rest_api_policy" {
  defaults = {
    id = "a1b2c3d4e5"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/apigateway/randfile-test/v1/access"
  }
}

# ACM asks for one CNAME per name on the certificate.
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-west-1:111111111111:certificate/0d1c2b3a-0000-4000-8000-000000000002"
    domain_validation_options = [{
      domain_name           = "files.example.com"
      resource_record_name  = "_0123456789abcdef.files.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_fedcba9876543210.acm-validations.aws."
    }]
  }
}

mock_resource "aws_route53_record" {
  defaults = {
    fqdn = "_0123456789abcdef.files.example.com"
  }
}

mock_resource "aws_api_gateway_domain_name" {
  defaults = {
    regional_domain_name = "d-abcdef0123.execute-api.eu-west-1.amazonaws.com"
    regional_zone_id     = "ZLY8HYME6SFDD"
  }
}

mock_resource "aws_api_gateway_api_key" {
  defaults = {
    id = "k3yk3yk3y0"
  }
}

mock_resource "aws_api_gateway_usage_plan" {
  defaults = {
    id = "pl4n0pl4n0"
  }
}
