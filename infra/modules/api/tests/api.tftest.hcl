# The API's behaviour: who may call POST /files, GET /files/{job_id}, POST /datasets and
# GET /datasets/{dataset_id} and how, what it costs
# them (throttles, quota), where it is served (custom domain, TLS policy, DNS records), what the
# function lets it do.
# Policies are checked on the statements of their aws_iam_policy_document (a mock provider cannot
# render the JSON); execute-api ARNs are built from the mocked REST API (tests/mocks).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# The module's inputs are tests/terraform.tfvars' (every test file here reads them); callers here
# include a role besides the account.
variables {
  invoke_principals = ["111111111111", "arn:aws:iam::333333333333:role/caller"]
}

# The mocks give every resource the path of /files; the other routes' paths are their own.
override_resource {
  target          = aws_api_gateway_resource.item["job"]
  override_during = plan
  values = {
    id   = "j0b"
    path = "/files/{job_id}"
  }
}

override_resource {
  target          = aws_api_gateway_resource.collection["datasets"]
  override_during = plan
  values = {
    id   = "d4t4s3"
    path = "/datasets"
  }
}

override_resource {
  target          = aws_api_gateway_resource.item["dataset"]
  override_during = plan
  values = {
    id   = "d4t4s3t"
    path = "/datasets/{dataset_id}"
  }
}

run "defaults_signed_keyed_proxy_on_a_tls_1_2_domain" {
  command = plan

  assert {
    condition = {
      for name, resource in { files = aws_api_gateway_resource.collection["files"], job = aws_api_gateway_resource.item["job"], datasets = aws_api_gateway_resource.collection["datasets"], dataset = aws_api_gateway_resource.item["dataset"] } :
      name => [resource.path_part, resource.parent_id]
      } == {
      files    = ["files", aws_api_gateway_rest_api.this.root_resource_id]
      job      = ["{job_id}", aws_api_gateway_resource.collection["files"].id]
      datasets = ["datasets", aws_api_gateway_rest_api.this.root_resource_id]
      dataset  = ["{dataset_id}", aws_api_gateway_resource.collection["datasets"].id]
    }
    error_message = "The resources must be /files and /datasets under the API's root, each with its {job_id} or {dataset_id} below it."
  }

  assert {
    condition = {
      for name, method in aws_api_gateway_method.this :
      name => [method.http_method, method.resource_id, method.authorization, method.api_key_required, jsonencode(method.request_parameters)]
      } == {
      post_files    = ["POST", aws_api_gateway_resource.collection["files"].id, "AWS_IAM", true, "null"]
      get_job       = ["GET", aws_api_gateway_resource.item["job"].id, "AWS_IAM", true, jsonencode({ "method.request.path.job_id" = true })]
      post_datasets = ["POST", aws_api_gateway_resource.collection["datasets"].id, "AWS_IAM", true, "null"]
      get_dataset   = ["GET", aws_api_gateway_resource.item["dataset"].id, "AWS_IAM", true, jsonencode({ "method.request.path.dataset_id" = true })]
    }
    error_message = "By default every route (POST /files, GET /files/{job_id}, POST /datasets, GET /datasets/{dataset_id}) must require a SigV4 signature (AWS_IAM) and an API key, on its own resource, a GET declaring its path parameter."
  }

  assert {
    condition = {
      for name, integration in aws_api_gateway_integration.this :
      name => [integration.resource_id, integration.http_method, integration.type, integration.integration_http_method, integration.uri]
      } == {
      post_files    = [aws_api_gateway_resource.collection["files"].id, "POST", "AWS_PROXY", "POST", var.function_invoke_arn]
      get_job       = [aws_api_gateway_resource.item["job"].id, "GET", "AWS_PROXY", "POST", var.function_invoke_arn]
      post_datasets = [aws_api_gateway_resource.collection["datasets"].id, "POST", "AWS_PROXY", "POST", var.function_invoke_arn]
      get_dataset   = [aws_api_gateway_resource.item["dataset"].id, "GET", "AWS_PROXY", "POST", var.function_invoke_arn]
    }
    error_message = "Every route must proxy to the function (Lambda invocations are POSTs)."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.disable_execute_api_endpoint
    error_message = "The default execute-api endpoint must be off: it would bypass the custom domain's TLS policy."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.invoke.statement : {
        effect     = coalesce(s.effect, "Allow")
        actions    = s.actions
        resources  = s.resources
        principals = s.principals
      }
      ] == [{
        effect    = "Allow"
        actions   = toset(["execute-api:Invoke"])
        resources = toset(["arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/v1/POST/files", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/v1/GET/files/*", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/v1/POST/datasets", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/v1/GET/datasets/*"])
        principals = toset([{
          type        = "AWS"
          identifiers = toset(["arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:role/caller"])
        }])
    }]
    error_message = "The policy must allow only the listed accounts (as their root ARN) and roles to invoke POST /files, GET /files/{job_id}, POST /datasets and GET /datasets/{dataset_id} on the stage."
  }

  # A new statement id would replace the permission on AWS: each keeps the one it was created with.
  assert {
    condition = {
      for name, permission in aws_lambda_permission.this :
      name => [permission.statement_id, permission.action, permission.principal, permission.function_name, permission.source_arn]
      } == {
      post_files    = ["AllowInvokeFromApiGatewayPostFiles", "lambda:InvokeFunction", "apigateway.amazonaws.com", "randfile-test", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/*/POST/files"]
      get_job       = ["AllowInvokeFromApiGatewayGetJob", "lambda:InvokeFunction", "apigateway.amazonaws.com", "randfile-test", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/*/GET/files/*"]
      post_datasets = ["AllowInvokeFromApiGatewayPostDatasets", "lambda:InvokeFunction", "apigateway.amazonaws.com", "randfile-test", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/*/POST/datasets"]
      get_dataset   = ["AllowInvokeFromApiGatewayGetDataset", "lambda:InvokeFunction", "apigateway.amazonaws.com", "randfile-test", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/*/GET/datasets/*"]
    }
    error_message = "API Gateway may invoke the function only for the routes of this API (any stage, any job or dataset id), each permission under the statement id it was created with."
  }

  assert {
    condition     = output.job_url_template == "https://files.example.com/files/{job_id}"
    error_message = "The job URL template must be on the custom domain."
  }

  assert {
    condition     = data.aws_route53_zone.this.name == "example.com" && data.aws_route53_zone.this.private_zone == false
    error_message = "The records must go into the public zone hosted_zone_name."
  }

  assert {
    condition     = aws_acm_certificate.this.domain_name == "files.example.com" && aws_acm_certificate.this.validation_method == "DNS"
    error_message = "The certificate must be for the custom domain, validated through DNS."
  }

  assert {
    condition = [
      for record in aws_route53_record.validation : [record.zone_id, record.name, record.type, record.records]
      ] == [[
        "Z0EXAMPLEZONE", "_0123456789abcdef.files.example.com.", "CNAME", toset(["_fedcba9876543210.acm-validations.aws."])
    ]]
    error_message = "Each validation CNAME ACM asks for must be written into the zone."
  }

  assert {
    condition     = aws_acm_certificate_validation.this.validation_record_fqdns == toset(["_0123456789abcdef.files.example.com"])
    error_message = "The validation must wait for those records."
  }

  assert {
    condition = [
      aws_api_gateway_domain_name.this.domain_name,
      aws_api_gateway_domain_name.this.security_policy,
      aws_api_gateway_domain_name.this.endpoint_configuration[0].types,
      aws_api_gateway_domain_name.this.regional_certificate_arn,
    ] == ["files.example.com", "TLS_1_2", tolist(["REGIONAL"]), "arn:aws:acm:eu-west-1:111111111111:certificate/0d1c2b3a-0000-4000-8000-000000000002"]
    error_message = "The custom domain must be regional, refuse TLS before 1.2 and use the validated certificate."
  }

  assert {
    condition     = aws_api_gateway_domain_name.this.endpoint_configuration[0].ip_address_type == "dualstack"
    error_message = "The domain must be dual-stack: the AAAA alias below needs an IPv6 target."
  }

  assert {
    condition = {
      for type, record in aws_route53_record.alias : type => [
        record.zone_id, record.name, one(record.alias).name, one(record.alias).zone_id,
      ]
      } == {
      A    = ["Z0EXAMPLEZONE", "files.example.com", "d-abcdef0123.execute-api.eu-west-1.amazonaws.com", "ZLY8HYME6SFDD"]
      AAAA = ["Z0EXAMPLEZONE", "files.example.com", "d-abcdef0123.execute-api.eu-west-1.amazonaws.com", "ZLY8HYME6SFDD"]
    }
    error_message = "IPv4 and IPv6 alias records must point the domain at API Gateway's regional host."
  }

  assert {
    condition     = aws_api_gateway_base_path_mapping.this.stage_name == "v1" && aws_api_gateway_base_path_mapping.this.api_id == aws_api_gateway_rest_api.this.id
    error_message = "The domain's root must map to the stage."
  }

  assert {
    condition     = output.api_url == "https://files.example.com" && output.invoke_url == "https://files.example.com/files"
    error_message = "The URLs must be on the custom domain."
  }
}

run "without_iam_anyone_with_the_key_may_call" {
  command = plan

  variables {
    authorization     = "NONE"
    invoke_principals = []
  }

  assert {
    condition = alltrue([
      for method in aws_api_gateway_method.this : method.authorization == "NONE" && method.api_key_required
    ])
    error_message = "With authorization NONE every method must still require the API key."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.invoke.statement[0].principals) == { type = "*", identifiers = toset(["*"]) }
    error_message = "Unsigned callers are anonymous: the policy can only name \"*\"."
  }

  assert {
    condition     = length(aws_api_gateway_api_key.this) == 1 && aws_api_gateway_api_key.this[0].enabled
    error_message = "An enabled API key must exist for the callers."
  }

  assert {
    condition     = aws_api_gateway_usage_plan_key.this[0].key_type == "API_KEY" && aws_api_gateway_usage_plan_key.this[0].key_id == aws_api_gateway_api_key.this[0].id && aws_api_gateway_usage_plan_key.this[0].usage_plan_id == aws_api_gateway_usage_plan.this.id
    error_message = "The key must be attached to the usage plan, or its quota would not apply."
  }
}

run "iam_only_without_key" {
  command = plan

  variables {
    api_key_required = false
  }

  assert {
    condition     = !aws_api_gateway_method.this["post_files"].api_key_required && !aws_api_gateway_method.this["get_job"].api_key_required && !aws_api_gateway_method.this["post_datasets"].api_key_required && !aws_api_gateway_method.this["get_dataset"].api_key_required && length(aws_api_gateway_api_key.this) == 0 && length(aws_api_gateway_usage_plan_key.this) == 0
    error_message = "Without api_key_required no key is created or demanded."
  }

  assert {
    condition     = output.api_key_id == null
    error_message = "api_key_id must be null when there is no key."
  }
}

run "stage_limits_and_logs_follow_the_variables" {
  command = plan

  variables {
    stage_name             = "live"
    throttling_rate_limit  = 50
    throttling_burst_limit = 100
    usage_plan_rate_limit  = 2
    usage_plan_burst_limit = 4
    usage_plan_daily_quota = 250

    access_log_retention_days = 90
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.method_path == "*/*" && aws_api_gateway_method_settings.all.stage_name == "live"
    error_message = "The stage-wide settings must cover every method of the stage."
  }

  assert {
    condition = [
      aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit,
      aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit,
    ] == [50, 100]
    error_message = "The stage's throttle must be throttling_rate_limit / throttling_burst_limit."
  }

  assert {
    condition = [
      aws_api_gateway_method_settings.all.settings[0].caching_enabled,
      aws_api_gateway_method_settings.all.settings[0].data_trace_enabled,
      aws_api_gateway_method_settings.all.settings[0].metrics_enabled,
    ] == [false, false, true]
    error_message = "No cache (every POST creates an object), no request bodies in logs, metrics on."
  }

  assert {
    condition = [
      aws_api_gateway_usage_plan.this.throttle_settings[0].rate_limit,
      aws_api_gateway_usage_plan.this.throttle_settings[0].burst_limit,
      aws_api_gateway_usage_plan.this.quota_settings[0].limit,
      aws_api_gateway_usage_plan.this.quota_settings[0].period,
    ] == [2, 4, 250, "DAY"]
    error_message = "The usage plan must throttle each key and cap it at usage_plan_daily_quota requests a day."
  }

  assert {
    condition     = one(aws_api_gateway_usage_plan.this.api_stages).api_id == aws_api_gateway_rest_api.this.id && one(aws_api_gateway_usage_plan.this.api_stages).stage == "live"
    error_message = "The usage plan must apply to this API's stage."
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "live" && aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "The stage must be traced with X-Ray."
  }

  assert {
    condition     = aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.stage["access"].arn
    error_message = "Access logs must go to the module's log group."
  }

  assert {
    condition     = aws_cloudwatch_log_group.stage["execution"].name == "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/live" && aws_cloudwatch_log_group.stage["execution"].retention_in_days == 90
    error_message = "The execution log group API Gateway writes to must be created here, named after the API and stage, with a retention."
  }

  assert {
    condition     = aws_cloudwatch_log_group.stage["access"].name == "/aws/apigateway/randfile-test/live/access" && aws_cloudwatch_log_group.stage["access"].retention_in_days == 90
    error_message = "The access log group must be named after the API and stage, with the requested retention."
  }

  assert {
    condition = alltrue([
      for field in ["requestId", "status", "userArn", "apiKeyId", "integrationError"] :
      can(jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format)[field])
    ])
    error_message = "Access log lines must be JSON naming the request, its outcome and its caller (IAM user and API key)."
  }
}
