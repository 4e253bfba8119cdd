# The deployment is replaced (and the stage switched to it) exactly when the API's definition
# changes: a redeploy on every apply would churn, a missed one would leave callers on the old API.
# The trigger hashes IDs (the gateway responses' among them) and the policy's JSON, known only
# once the API exists: the baseline applies (against the mock), and every other run plans one
# change from that state and compares the trigger with the baseline's.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The validation records are keyed by what ACM asks for, which for_each needs while planning.
override_resource {
  target          = aws_acm_certificate.this
  override_during = plan
  values = {
    arn                       = "arn:aws:acm:eu-west-1:111111111111:certificate/0d1c2b3a-0000-4000-8000-000000000002"
    id                        = "arn:aws:acm:eu-west-1:111111111111:certificate/0d1c2b3a-0000-4000-8000-000000000002"
    key_algorithm             = "RSA_2048"
    not_after                 = ""
    not_before                = ""
    pending_renewal           = false
    renewal_eligibility       = "INELIGIBLE"
    renewal_summary           = []
    status                    = "ISSUED"
    subject_alternative_names = ["files.example.com"]
    tags_all                  = {}
    type                      = "AMAZON_ISSUED"
    validation_emails         = []
    domain_validation_options = [{
      domain_name           = "files.example.com"
      resource_record_name  = "_0123456789abcdef.files.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_fedcba9876543210.acm-validations.aws."
    }]
  }
}

# BASELINE below is the trigger of the file's variables with the mocked IDs and policy JSON
# (tests/mocks). It changes only if the module deliberately hashes something else: the baseline
# run's failure prints the new value.

run "baseline" {
  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "The trigger of the baseline API changed to ${aws_api_gateway_deployment.this.triggers.redeployment}: if the module now hashes something else on purpose, update BASELINE in this file."
  }

  assert {
    condition     = aws_api_gateway_stage.this.deployment_id == aws_api_gateway_deployment.this.id
    error_message = "The stage must serve the module's deployment."
  }
}

run "limits_logs_and_tags_keep_the_deployment" {
  command = plan

  variables {
    throttling_rate_limit     = 100
    throttling_burst_limit    = 200
    usage_plan_rate_limit     = 1
    usage_plan_burst_limit    = 2
    usage_plan_daily_quota    = 10
    access_log_retention_days = 7
    tags                      = { team = "files" }
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "Stage settings, the usage plan, logging and tags are not part of the deployed API: they must not redeploy it."
  }
}

run "authorization_change_redeploys" {
  command = plan

  variables {
    authorization     = "NONE"
    invoke_principals = []
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "A new authorization type only takes effect once deployed."
  }
}

run "api_key_requirement_change_redeploys" {
  command = plan

  variables {
    api_key_required = false
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "Dropping the API key requirement only takes effect once deployed."
  }
}

run "new_integration_target_redeploys" {
  command = plan

  variables {
    function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:randfile-other/invocations"
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "A new integration URI only takes effect once deployed."
  }
}

run "resource_policy_change_redeploys" {
  command = plan

  variables {
    invoke_principals = ["111111111111", "333333333333"]
  }

  # What the provider would render for the extra account.
  override_data {
    target = data.aws_iam_policy_document.invoke
    values = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"InvokePostFiles\",\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/v1/POST/files\",\"Principal\":{\"AWS\":[\"arn:aws:iam::333333333333:root\",\"arn:aws:iam::111111111111:root\"]}}]}"
    }
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "A REST API's resource policy only takes effect once the API is deployed again."
  }
}

# The deployment references the gateway responses themselves, not locals describing them: so it
# is created after their PUTs (the first deployment of the API carries them) and redeployed when
# one is replaced or changes. A response's id is what the provider reads back from API Gateway.
run "gateway_responses_are_in_the_deployment" {
  command = plan

  plan_options {
    replace = [aws_api_gateway_gateway_response.this["THROTTLED"]]
  }

  override_resource {
    target          = aws_api_gateway_gateway_response.this
    override_during = plan
    values = {
      id = "aggr-a1b2c3d4e5-replaced"
    }
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "A gateway response that API Gateway holds differently only takes effect once deployed: the deployment must reference the responses themselves."
  }
}

# POST /datasets and GET /datasets/{dataset_id} are part of the deployed API: an integration of
# theirs replaced (another function, or recreated) is served only once the API is deployed again.
run "dataset_routes_are_in_the_deployment" {
  command = plan

  plan_options {
    replace = [aws_api_gateway_integration.this["get_dataset"]]
  }

  override_resource {
    target          = aws_api_gateway_integration.this["get_dataset"]
    override_during = plan
    values = {
      id = "agi-a1b2c3d4e5-replaced"
    }
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment != "a45406bd1c86f970eca6ec816934fe35b1293930" # BASELINE
    error_message = "The dataset routes' integrations must be in the deployment's trigger."
  }
}
