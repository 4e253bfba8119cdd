# The function's behaviour: the environment the service reads, and an execution role that can
# write under one bucket prefix, use the bucket's key and log to its own group, nothing more.
# Policies are checked on the statements of their aws_iam_policy_document (a mock provider cannot
# render the JSON). The package is a small committed zip standing in for dist/randfile.zip.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# Applies need a mock that invents values once, at apply: values made up while planning would be
# made up again and contradict the plan.
mock_provider "aws" {
  alias  = "applied"
  source = "./tests/mocks"
}

variables {
  function_name = "randfile-test"
  role_name     = "randfile-test-function"
  zip_path      = "tests/fixtures/randfile.zip"
  bucket_name   = "randfile-test-222222222222-eu-west-1"
  bucket_arn    = "arn:aws:s3:::randfile-test-222222222222-eu-west-1"
  bucket_owner  = "222222222222"
}

run "environment_is_the_service_contract" {
  command = plan

  variables {
    key_prefix = "generated/"
    max_bytes  = 1048576
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      RANDFILE_BUCKET       = "randfile-test-222222222222-eu-west-1"
      RANDFILE_BUCKET_OWNER = "222222222222"
      RANDFILE_KEY_PREFIX   = "generated/"
      RANDFILE_MAX_BYTES    = "1048576"
    })
    error_message = "The function must get exactly the RANDFILE_* variables randfile.config reads (DEVELOPERS.md)."
  }

  assert {
    condition     = aws_lambda_function.this.handler == "randfile.handler.handler" && aws_lambda_function.this.runtime == "python${trimspace(file("python-version"))}"
    error_message = "The handler must be randfile.handler.handler on the Python that python-version names."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/randfile.zip")
    error_message = "source_code_hash must be the package's hash, so a new build redeploys the code."
  }

  assert {
    condition     = aws_lambda_function.this.role == "arn:aws:iam::111111111111:role/randfile-test-function"
    error_message = "The function must run as the module's execution role."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active (the role may send traces)."
  }
}

# Lambda keeps min(100, quota) executions unreserved and refuses a reservation below that: on a
# new account (quota 10) none at all, on a default one (1,000) at most 900.
run "a_new_account_cannot_reserve_any_concurrency" {
  command = plan

  variables {
    reserved_concurrency = 1
  }

  override_data {
    target = data.aws_servicequotas_service_quota.concurrency[0]
    values = {
      value = 10
    }
  }

  expect_failures = [aws_lambda_function.this]
}

run "a_default_account_reserves_up_to_900" {
  command = plan

  variables {
    reserved_concurrency = 900
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 900
    error_message = "900 of a 1,000 quota leaves the 100 AWS keeps unreserved: it must be accepted."
  }
}

run "a_default_account_cannot_reserve_901" {
  command = plan

  variables {
    reserved_concurrency = 901
  }

  expect_failures = [aws_lambda_function.this]
}

run "no_reservation_by_default_and_no_quota_read" {
  command = plan

  assert {
    condition     = coalesce(aws_lambda_function.this.reserved_concurrent_executions, -1) == -1 && length(data.aws_servicequotas_service_quota.concurrency) == 0
    error_message = "By default nothing is reserved (-1) and the quota is not read, so a new account deploys."
  }
}

run "the_role_carries_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::111111111111:policy/randfile-ci-test-boundary"
  }

  assert {
    condition     = aws_iam_role.this.permissions_boundary == "arn:aws:iam::111111111111:policy/randfile-ci-test-boundary"
    error_message = "The execution role must carry the boundary the CI apply role requires."
  }
}

run "limits_follow_the_variables" {
  command = plan

  variables {
    memory_size          = 1024
    timeout              = 15
    reserved_concurrency = 3
    log_retention_days   = 14
  }

  assert {
    condition = [
      aws_lambda_function.this.memory_size,
      aws_lambda_function.this.timeout,
      aws_lambda_function.this.reserved_concurrent_executions,
    ] == [1024, 15, 3]
    error_message = "Memory, timeout and reserved concurrency must come from the variables."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/randfile-test" && aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "The function's own log group (the one Lambda writes to) must exist with the requested retention."
  }
}

run "role_writes_only_under_the_prefix_and_to_its_logs" {
  command = plan

  variables {
    key_prefix = "generated/"
  }

  assert {
    condition     = toset([for s in data.aws_iam_policy_document.permissions.statement : s.sid]) == toset(["WriteUnderPrefix", "WriteOwnLogs", "SendTraces"])
    error_message = "Without a KMS key the role gets exactly the S3, logs and X-Ray statements checked here."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "WriteUnderPrefix"
    ]) == [toset(["s3:PutObject", "s3:AbortMultipartUpload"]), toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1/generated/*"])]
    error_message = "The role may put objects (and abort its uploads) under the prefix of the bucket only: no read, list or delete."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "WriteOwnLogs"
    ]) == [toset(["logs:CreateLogStream", "logs:PutLogEvents"]), toset(["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/randfile-test:*"])]
    error_message = "The role may write to the streams of its own log group only."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.permissions.statement : !contains(s.resources, "*") if s.sid != "SendTraces"
    ])
    error_message = "Only the X-Ray statement (whose actions take no resource) may name Resource \"*\"."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.assume.statement[0].principals) == { type = "Service", identifiers = toset(["lambda.amazonaws.com"]) }
    error_message = "Only the Lambda service may assume the execution role."
  }

  assert {
    condition     = aws_iam_role.this.name == "randfile-test-function"
    error_message = "The role must have the caller's name: the bucket policy names its ARN before it exists."
  }
}

run "role_uses_the_bucket_key_when_there_is_one" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001"
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "UseBucketKey"
    ]) == [toset(["kms:GenerateDataKey", "kms:Decrypt"]), toset(["arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001"])]
    error_message = "With an SSE-KMS bucket the role may generate data keys and decrypt (multipart) with that key only."
  }
}

# The permissions document names the log group's ARN, so a plan defers reading it: this run applies
# (against the mock), giving each document its own JSON so that a mix-up fails.
run "policies_are_the_checked_documents" {
  providers = {
    aws = aws.applied
  }

  override_data {
    target = data.aws_iam_policy_document.assume
    values = {
      json = "{\"Id\":\"assume\",\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_data {
    target = data.aws_iam_policy_document.permissions
    values = {
      json = "{\"Id\":\"permissions\",\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  assert {
    condition     = aws_iam_role.this.assume_role_policy == data.aws_iam_policy_document.assume.json
    error_message = "The role's trust policy must be the assume document."
  }

  assert {
    condition     = aws_iam_role_policy.this.policy == data.aws_iam_policy_document.permissions.json && aws_iam_role_policy.this.role == aws_iam_role.this.id
    error_message = "The role's inline policy must be the permissions document."
  }

  assert {
    condition     = output.role_arn == aws_iam_role.this.arn && output.invoke_arn == aws_lambda_function.this.invoke_arn
    error_message = "The outputs must name the role and the function's invoke ARN."
  }
}

run "environment_names_the_metrics_dimension" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["RANDFILE_ENVIRONMENT"] == "dev"
    error_message = "The function's metrics must carry the environment (randfile.metrics reads RANDFILE_ENVIRONMENT)."
  }
}
