# The function's behaviour: the environment the service reads, and an execution role that can
# write under one bucket prefix, use the bucket's key and log to its own group, nothing more.
# Policies are checked on the statements of their aws_iam_policy_document (a mock provider cannot
# render the JSON). The package is a small committed zip standing in for dist/randfile.zip.

mock_provider "aws" {
  source          = "../../tests/mocks/workload"
  override_during = plan
}

# Applies need a mock that invents values once, at apply: values made up while planning would be
# made up again and contradict the plan.
mock_provider "aws" {
  alias  = "applied"
  source = "../../tests/mocks/workload"
}

run "the_synchronous_limit_s_older_name_still_sets_it" {
  command = plan

  variables {
    max_bytes = 2048
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["RANDFILE_MAX_SYNC_BYTES"] == "2048"
    error_message = "max_bytes, max_sync_bytes' older name, must still set the limit for a release (CHANGELOG.md)."
  }
}

run "the_synchronous_limit_defaults_to_100_mib" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["RANDFILE_MAX_SYNC_BYTES"] == "104857600"
    error_message = "Without max_sync_bytes (or max_bytes) the synchronous limit is 100 MiB."
  }
}

run "environment_is_the_service_contract" {
  command = plan

  variables {
    key_prefix     = "generated/"
    max_sync_bytes = 1048576
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      RANDFILE_BUCKET                    = "randfile-test-222222222222-eu-west-1"
      RANDFILE_BUCKET_OWNER              = "222222222222"
      RANDFILE_KEY_PREFIX                = "generated/"
      RANDFILE_MAX_SYNC_BYTES            = "1048576"
      RANDFILE_JOBS_TABLE                = "randfile-test-jobs"
      RANDFILE_JOB_QUEUE_URL             = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
      RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter"
      RANDFILE_MAX_JOB_BYTES             = "10737418240"
      RANDFILE_JOB_RETENTION_DAYS        = "7"
      RANDFILE_MAX_DATASET_FILES         = "10000"
      RANDFILE_MAX_DATASET_BYTES         = "1099511627776"
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

  override_resource {
    target          = aws_cloudwatch_log_group.worker
    override_during = plan
    values = {
      arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/randfile-test-worker"
    }
  }

  assert {
    condition     = toset([for s in data.aws_iam_policy_document.permissions.statement : s.sid]) == toset(["WriteUnderPrefix", "ReadBackUnderPrefix", "ListOwnUploads", "WriteOwnLogs", "SendTraces", "KeepJobs", "QueueJobs", "ReceiveJobs"])
    error_message = "Without a KMS key the role gets exactly the S3, logs, X-Ray, jobs table and queue statements checked here (no lambda:InvokeFunction: the queue starts the worker)."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "KeepJobs"
    ]) == [toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]), toset(["arn:aws:dynamodb:eu-west-1:111111111111:table/randfile-test-jobs"])]
    error_message = "The role may get, put, update and delete items of the jobs table only: no scan, query or table-level action."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "QueueJobs"
    ]) == [toset(["sqs:SendMessage"]), toset(["arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue"])]
    error_message = "The role may send to the jobs queue only (not to the dead-letter queue: only SQS's redrive moves messages there)."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "ReceiveJobs"
      ]) == [
      toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]),
      toset(["arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue", "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter"]),
    ]
    error_message = "Lambda's pollers receive and delete with the execution role, and the worker changes its message's visibility, on both queues only."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "ListOwnUploads"
    ]) == [toset(["s3:ListBucketMultipartUploads"]), toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1"])]
    error_message = "A retry may list the bucket's multipart uploads (to abort its own) and nothing else at bucket level."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "WriteUnderPrefix"
    ]) == [toset(["s3:PutObject", "s3:AbortMultipartUpload"]), toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1/generated/*"])]
    error_message = "The role may put objects (and abort its uploads) under the prefix of the bucket only: no read or delete."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.permissions.statement : [s.actions, s.resources] if s.sid == "WriteOwnLogs"
    ]) == [toset(["logs:CreateLogStream", "logs:PutLogEvents"]), toset(["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/randfile-test:*", "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/randfile-test-worker:*"])]
    error_message = "The role may write to the streams of the two functions' log groups only."
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

run "the_worker_runs_the_same_package_as_the_same_role" {
  command = plan

  variables {
    max_job_bytes      = 2147483648
    job_retention_days = 3
    environment        = "dev"
    max_dataset_files  = 500
    max_dataset_bytes  = 1073741824
  }

  assert {
    condition = [for name in ["RANDFILE_MAX_DATASET_FILES", "RANDFILE_MAX_DATASET_BYTES"] :
    aws_lambda_function.worker.environment[0].variables[name]] == ["500", "1073741824"]
    error_message = "The dataset limits must come from the variables."
  }

  assert {
    condition = [
      aws_lambda_function.worker.function_name,
      aws_lambda_function.worker.handler,
      aws_lambda_function.worker.timeout,
      aws_lambda_function.worker.runtime,
      aws_lambda_function.worker.memory_size,
    ] == ["randfile-test-worker", "randfile.worker.handler", 900, aws_lambda_function.this.runtime, 1769]
    error_message = "The worker must be <function_name>-worker, run randfile.worker.handler for up to 900 s by default, on the API function's runtime, with one vCPU's 1769 MB by default."
  }

  assert {
    condition     = aws_lambda_function.worker.role == aws_lambda_function.this.role && aws_lambda_function.worker.source_code_hash == aws_lambda_function.this.source_code_hash
    error_message = "The worker must run the same package as the same role (the bucket policy admits one writer)."
  }

  assert {
    condition     = aws_lambda_function.worker.environment[0].variables == aws_lambda_function.this.environment[0].variables
    error_message = "Both functions must read the same environment."
  }

  assert {
    condition = [for name in ["RANDFILE_MAX_JOB_BYTES", "RANDFILE_JOB_RETENTION_DAYS", "RANDFILE_ENVIRONMENT"] :
    aws_lambda_function.worker.environment[0].variables[name]] == ["2147483648", "3", "dev"]
    error_message = "The job size cap, retention and environment must come from the variables."
  }

  assert {
    condition     = aws_lambda_function.worker.tracing_config[0].mode == "Active" && aws_cloudwatch_log_group.worker.name == "/aws/lambda/randfile-test-worker" && aws_cloudwatch_log_group.worker.retention_in_days == 30
    error_message = "The worker must be traced and log to its own group, kept as long as the API function's."
  }

  assert {
    condition     = output.worker_function_name == "randfile-test-worker" && output.jobs_table_name == "randfile-test-jobs" && output.jobs_queue_name == "randfile-test-jobs-queue" && output.jobs_dead_letter_queue_name == "randfile-test-jobs-dead-letter"
    error_message = "The outputs must name the worker, the table and both queues."
  }
}

run "worker_timeout_follows_its_variable" {
  command = plan

  variables {
    worker_timeout = 120
    # 10 GiB, the default, would not fit in 120 s (tests/validation.tftest.hcl).
    max_job_bytes = 1073741824
  }

  assert {
    condition     = aws_lambda_function.worker.timeout == 120 && aws_lambda_function.this.timeout == 29
    error_message = "worker_timeout sets the worker's timeout only."
  }
}

run "worker_memory_size_sets_the_worker_s_memory_only" {
  command = plan

  variables {
    memory_size        = 1024
    worker_memory_size = 3008
  }

  assert {
    condition     = aws_lambda_function.worker.memory_size == 3008 && aws_lambda_function.this.memory_size == 1024
    error_message = "worker_memory_size sets the worker's memory, memory_size the API function's."
  }
}

# The largest job the check admits: 900 s less the 120 s kept for CompleteMultipartUpload, at
# 86 MB/s (docs/performance.md); one byte more is refused (tests/validation.tftest.hcl).
run "max_job_bytes_up_to_what_the_worker_writes_in_its_timeout" {
  command = plan

  variables {
    max_job_bytes = 67080000000
  }

  assert {
    condition     = aws_lambda_function.worker.environment[0].variables["RANDFILE_MAX_JOB_BYTES"] == "67080000000"
    error_message = "A job size the worker can write within its timeout must be accepted."
  }
}

run "jobs_wait_in_a_queue_with_a_dead_letter_queue" {
  command = plan

  assert {
    condition = [
      aws_sqs_queue.jobs.name,
      aws_sqs_queue.jobs.visibility_timeout_seconds,
      aws_sqs_queue.jobs.message_retention_seconds,
      aws_sqs_queue.jobs.sqs_managed_sse_enabled,
      coalesce(aws_sqs_queue.jobs.fifo_queue, false),
    ] == ["randfile-test-jobs-queue", 5400, 345600, true, false]
    error_message = "The jobs queue must be a standard, encrypted queue whose visibility timeout is six worker timeouts (AWS's advice for a queue feeding Lambda), keeping messages 4 days."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.redrive_policy) == { deadLetterTargetArn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter", maxReceiveCount = 3 }
    error_message = "A message received three times (the default job_max_receive_count) must move to the dead-letter queue."
  }

  assert {
    condition = [
      aws_sqs_queue.jobs_dead_letter.name,
      aws_sqs_queue.jobs_dead_letter.visibility_timeout_seconds,
      aws_sqs_queue.jobs_dead_letter.message_retention_seconds,
      aws_sqs_queue.jobs_dead_letter.sqs_managed_sse_enabled,
    ] == ["randfile-test-jobs-dead-letter", 5400, 1209600, true]
    error_message = "The dead-letter queue must be encrypted, feed the worker as the jobs queue does, and keep messages 14 days, longer than the jobs queue (a moved message keeps its first enqueue time)."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_redrive_allow_policy.jobs_dead_letter.redrive_allow_policy) == {
      redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue"]
    } && aws_sqs_queue_redrive_allow_policy.jobs_dead_letter.queue_url == "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-dead-letter"
    error_message = "Only the jobs queue may use the dead-letter queue."
  }

  assert {
    condition = {
      for queue, mapping in aws_lambda_event_source_mapping.worker : queue => [
        mapping.event_source_arn, mapping.function_name, mapping.batch_size, mapping.function_response_types, mapping.scaling_config[0].maximum_concurrency,
      ]
      } == {
      jobs             = ["arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue", aws_lambda_function.worker.arn, 1, toset(["ReportBatchItemFailures"]), 2]
      jobs_dead_letter = ["arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter", aws_lambda_function.worker.arn, 10, toset(["ReportBatchItemFailures"]), 2]
    }
    error_message = "The jobs queue must feed the worker one job per run, at most worker_max_concurrency (2) runs at once; the dead-letter queue the same worker, up to 10 messages a run, 2 runs at once; both reporting item failures."
  }

  assert {
    condition     = output.jobs_queue_url == aws_sqs_queue.jobs.url && output.jobs_dead_letter_queue_arn == aws_sqs_queue.jobs_dead_letter.arn && output.jobs_queue_arn == aws_sqs_queue.jobs.arn && output.jobs_dead_letter_queue_url == aws_sqs_queue.jobs_dead_letter.url
    error_message = "The outputs must name both queues (the monitoring module and the runbook use them)."
  }
}

run "job_attempts_and_concurrency_follow_their_variables" {
  command = plan

  variables {
    worker_timeout         = 300
    max_job_bytes          = 1073741824
    worker_max_concurrency = 7
    job_max_receive_count  = 5
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.redrive_policy).maxReceiveCount == 5 && aws_lambda_event_source_mapping.worker["jobs"].scaling_config[0].maximum_concurrency == 7
    error_message = "job_max_receive_count must set the redrive's maxReceiveCount, worker_max_concurrency the jobs mapping's maximum concurrency."
  }

  assert {
    condition     = aws_sqs_queue.jobs.visibility_timeout_seconds == 1800 && aws_sqs_queue.jobs_dead_letter.visibility_timeout_seconds == 1800 && aws_lambda_event_source_mapping.worker["jobs_dead_letter"].scaling_config[0].maximum_concurrency == 2
    error_message = "Both queues' visibility timeouts must follow worker_timeout (x 6); the dead-letter mapping keeps its cap of 2."
  }
}

run "jobs_live_in_an_encrypted_recoverable_table_with_expiry" {
  command = plan

  assert {
    condition = [
      aws_dynamodb_table.jobs.name,
      aws_dynamodb_table.jobs.billing_mode,
      aws_dynamodb_table.jobs.hash_key,
      coalesce(aws_dynamodb_table.jobs.range_key, "none"),
    ] == ["randfile-test-jobs", "PAY_PER_REQUEST", "id", "none"]
    error_message = "The table must be on demand, keyed by id alone (job and idempotency records share it)."
  }

  assert {
    condition     = [for a in aws_dynamodb_table.jobs.attribute : [a.name, a.type]] == [["id", "S"]]
    error_message = "The key id must be a string."
  }

  assert {
    condition     = one(aws_dynamodb_table.jobs.ttl).attribute_name == "expiration" && one(aws_dynamodb_table.jobs.ttl).enabled
    error_message = "Records must expire through the TTL attribute expiration (epoch seconds)."
  }

  assert {
    condition     = one(aws_dynamodb_table.jobs.point_in_time_recovery).enabled && one(aws_dynamodb_table.jobs.server_side_encryption).enabled
    error_message = "Point-in-time recovery and KMS encryption must be on."
  }

  assert {
    condition     = !aws_dynamodb_table.jobs.deletion_protection_enabled
    error_message = "Deletion protection is off unless asked for (a throw-away environment must be destroyable)."
  }
}

run "the_jobs_table_can_refuse_deletion" {
  command = plan

  variables {
    jobs_table_deletion_protection    = true
    jobs_table_point_in_time_recovery = false
  }

  assert {
    condition     = aws_dynamodb_table.jobs.deletion_protection_enabled && !one(aws_dynamodb_table.jobs.point_in_time_recovery).enabled
    error_message = "Both table protections must follow their variables."
  }
}
