# The stack's wiring: each module in the account it belongs to, the bucket admitting exactly the
# role the function runs as, the encryption choice reaching the function, and the stack's own
# variable checks. The modules' behaviour is tested in their own folders.

mock_provider "aws" {
  alias           = "workload"
  source          = "../tests/mocks/workload"
  override_during = plan
}

mock_provider "aws" {
  alias           = "data"
  source          = "../tests/mocks/data"
  override_during = plan
}

# The shared workload mock names every queue the jobs queue; the dead-letter queue gets its own ARN,
# as SQS would name it, so the functions' environment shows which queue is which.
override_resource {
  target          = module.function.aws_sqs_queue.jobs_dead_letter
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter"
  }
}

variables {
  environment         = "test"
  region              = "eu-west-1"
  workload_account_id = "111111111111"
  data_account_id     = "222222222222"
  repository          = "example-org/randfile"
  hosted_zone_name    = "example.com"
  domain_name         = "files.example.com"
  # The function module's fixture stands in for dist/randfile.zip (make build).
  function_zip_path = "../modules/function/tests/fixtures/randfile.zip"
}

run "each_module_runs_in_its_account" {
  command = plan

  assert {
    condition     = output.bucket_name == "randfile-test-222222222222-eu-west-1"
    error_message = "The bucket must be created through the aws.data provider (its name carries the data account)."
  }

  assert {
    condition     = local.function_role_arn == "arn:aws:iam::111111111111:role/randfile-test-function" && module.function.role_name == "randfile-test-function"
    error_message = "The writer the bucket admits must be the function's role, in the workload account."
  }

  assert {
    condition     = output.function_name == "randfile-test" && output.invoke_url == "https://files.example.com/files"
    error_message = "Names must derive from the environment and the API must be served on the custom domain."
  }

  assert {
    condition     = output.kms_key_arn == null
    error_message = "SSE-S3 is the default: no key."
  }

  assert {
    condition     = local.default_tags == { project = "randfile", environment = "test", managed-by = "terraform", repository = "example-org/randfile" }
    error_message = "Every resource must be tagged with the project, environment, tool and repository."
  }
}

run "metrics_and_alarms_name_the_same_environment_and_function" {
  command = plan

  assert {
    condition     = module.function.function_name == "randfile-test" && output.dashboard_name == "randfile-test"
    error_message = "The dashboard must be the environment's, beside its function."
  }

  assert {
    condition = [for key in ["jobs-failed", "jobs-abandoned", "jobs-oldest-waiting", "jobs-dead-letter", "datasets-failed"] : module.monitoring.alarm_names[key]] == [
      "randfile-test-jobs-failed", "randfile-test-jobs-abandoned", "randfile-test-jobs-oldest-waiting", "randfile-test-jobs-dead-letter",
      "randfile-test-datasets-failed",
    ] && output.worker_function_name == "randfile-test-worker"
    error_message = "The job and dataset alarms must be this environment's."
  }

  assert {
    condition     = module.function.jobs_queue_name == "randfile-test-jobs-queue" && module.function.jobs_dead_letter_queue_name == "randfile-test-jobs-dead-letter"
    error_message = "The queues the alarms watch must be this environment's (the bootstrap's roles name them so)."
  }

  assert {
    condition     = module.monitoring.alarm_names["s3-refusals"] == "randfile-test-s3-refusals"
    error_message = "The alarms must be named after the environment (the key policy lets CloudWatch publish for <name>-* only)."
  }
}

run "kms_encryption_creates_the_key_in_the_data_account" {
  command = plan

  variables {
    kms_encryption = true
  }

  assert {
    condition     = output.kms_key_arn == "arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001"
    error_message = "kms_encryption must create the bucket's key through the aws.data provider."
  }
}

run "rejects_bad_values" {
  command = plan

  variables {
    environment         = "Dev"
    region              = "eu-west"
    workload_account_id = "1111"
    data_account_id     = "arn:aws:iam::222222222222:root"
    workload_role_arn   = "randfile-terraform-apply" # a name, not an ARN
    data_role_arn       = "arn:aws:iam::222222222222:user/terraform"
    repository          = " "
  }

  expect_failures = [
    var.environment,
    var.region,
    var.workload_account_id,
    var.data_account_id,
    var.workload_role_arn,
    var.data_role_arn,
    var.repository,
  ]
}

run "rejects_other_bad_values" {
  command = plan

  variables {
    environment         = "a-seventeen-chars" # 17 characters
    region              = "EU-WEST-1"
    workload_account_id = "1111111111111" # 13 digits
    data_account_id     = ""
    workload_role_arn   = "arn:aws:iam::111111111111:root"
    data_role_arn       = "arn:aws:sts::222222222222:assumed-role/terraform/session"
    repository          = ""
  }

  expect_failures = [
    var.environment,
    var.region,
    var.workload_account_id,
    var.data_account_id,
    var.workload_role_arn,
    var.data_role_arn,
    var.repository,
  ]
}

# With a customer managed key, the data role Terraform runs as must be named in the key policy:
# KMS's lockout check refuses CreateKey otherwise. Caught at plan time.
run "a_kms_key_needs_the_data_role_in_its_policy" {
  command = plan

  variables {
    kms_encryption                    = true
    data_role_arn                     = "arn:aws:iam::222222222222:role/randfile-ci-test-apply"
    bucket_kms_key_administrator_arns = ["arn:aws:iam::222222222222:role/someone-else"]
  }

  expect_failures = [var.bucket_kms_key_reader_arns]
}

# The CI apply role manages the alarm key only through the key's policy: a CI deploy (one with the
# bootstrap's boundary) that does not name it would fail at EnableKeyRotation. Caught at plan time.
run "a_ci_deploy_names_the_alarm_key_administrator" {
  command = plan

  variables {
    role_permissions_boundary_arn = "arn:aws:iam::111111111111:policy/randfile-ci-test-boundary"
  }

  expect_failures = [var.alarm_kms_key_administrator_arns]
}

run "alarm_key_roles_are_in_the_workload_account" {
  command = plan

  variables {
    alarm_kms_key_reader_arns = ["arn:aws:iam::222222222222:role/randfile-ci-test-plan"]
  }

  expect_failures = [var.alarm_kms_key_reader_arns]
}

run "jobs_are_wired_with_their_limits" {
  command = plan

  variables {
    max_job_bytes      = 2147483648
    job_retention_days = 2
    worker_timeout     = 300
    worker_memory_size = 3008
    max_dataset_files  = 2000
    max_dataset_bytes  = 10737418240
  }

  assert {
    condition = [for name in ["RANDFILE_MAX_DATASET_FILES", "RANDFILE_MAX_DATASET_BYTES"] :
    module.function.environment_variables[name]] == ["2000", "10737418240"]
    error_message = "The stack must pass its dataset limits to both functions."
  }

  assert {
    condition     = module.function.worker_memory_size == 3008
    error_message = "worker_memory_size must reach the worker."
  }

  assert {
    condition = [for name in ["RANDFILE_JOBS_TABLE", "RANDFILE_MAX_JOB_BYTES", "RANDFILE_JOB_RETENTION_DAYS", "RANDFILE_ENVIRONMENT"] :
    module.function.environment_variables[name]] == ["randfile-test-jobs", "2147483648", "2", "test"]
    error_message = "The stack must always set the job variables, from its own variables."
  }

  assert {
    condition = [module.function.environment_variables["RANDFILE_JOB_QUEUE_URL"], module.function.environment_variables["RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN"]] == [
      "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue", "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter",
    ] && output.jobs_queue_url == module.function.environment_variables["RANDFILE_JOB_QUEUE_URL"] && !contains(keys(module.function.environment_variables), "RANDFILE_WORKER_FUNCTION")
    error_message = "The functions must read the jobs queue's URL and the dead-letter queue's ARN (no worker function name: nothing invokes it directly)."
  }

  assert {
    condition     = output.jobs_table_name == "randfile-test-jobs" && output.worker_log_group_name == "/aws/lambda/randfile-test-worker" && output.job_url_template == "https://files.example.com/files/{job_id}"
    error_message = "The jobs table and the worker's log group must be named after the environment, the job status served on the custom domain."
  }
}

run "jobs_defaults_are_ten_gib_seven_days_fifteen_minutes" {
  command = plan

  assert {
    condition     = [module.function.environment_variables["RANDFILE_MAX_JOB_BYTES"], module.function.environment_variables["RANDFILE_JOB_RETENTION_DAYS"]] == ["10737418240", "7"]
    error_message = "A job may write 10 GiB by default, and its status stays 7 days (docs/security.md's ceilings assume it)."
  }

  assert {
    condition     = [module.function.environment_variables["RANDFILE_MAX_DATASET_FILES"], module.function.environment_variables["RANDFILE_MAX_DATASET_BYTES"]] == ["10000", "1099511627776"]
    error_message = "A dataset may have 10,000 files and 1 TiB by default (issue 27)."
  }
}

run "job_queue_variables_reach_the_function" {
  command = plan

  variables {
    worker_max_concurrency = 5
    job_max_receive_count  = 4
  }

  assert {
    condition     = [module.function.worker_max_concurrency, module.function.job_max_receive_count] == [5, 4]
    error_message = "worker_max_concurrency and job_max_receive_count must reach the jobs queue's mapping and redrive policy."
  }
}

# The stack's variables take their modules' names (DEVELOPERS.md); the older names are read for one
# release (deprecated.tf). Both spellings must give the modules the same values (main.tf passes
# them the locals asserted here), the old one with a warning, and two different values under both
# names must be refused.
run "new_variable_names_reach_the_modules" {
  command = plan

  variables {
    kms_encryption                    = true
    current_version_expiration_days   = 9
    bucket_kms_key_administrator_arns = ["arn:aws:iam::222222222222:role/bucket-admin"]
    bucket_kms_key_reader_arns        = ["arn:aws:iam::222222222222:role/bucket-reader"]
    alarm_kms_key_administrator_arns  = ["arn:aws:iam::111111111111:role/alarm-admin"]
    alarm_kms_key_reader_arns         = ["arn:aws:iam::111111111111:role/alarm-reader"]
  }

  assert {
    condition     = local.current_version_expiration_days == 9
    error_message = "current_version_expiration_days must be what the data-bucket module gets."
  }

  assert {
    condition = jsonencode([
      local.bucket_kms_key_administrator_arns, local.bucket_kms_key_reader_arns,
      local.alarm_kms_key_administrator_arns, local.alarm_kms_key_reader_arns,
      ]) == jsonencode([
      ["arn:aws:iam::222222222222:role/bucket-admin"], ["arn:aws:iam::222222222222:role/bucket-reader"],
      ["arn:aws:iam::111111111111:role/alarm-admin"], ["arn:aws:iam::111111111111:role/alarm-reader"],
    ])
    error_message = "The key policies' roles must be the new names' values."
  }

  assert {
    condition     = length(local.deprecated_variables_set) == 0
    error_message = "The new names alone must not warn."
  }
}

run "old_variable_names_still_work_for_a_release" {
  command = plan

  variables {
    kms_encryption               = true
    object_expiration_days       = 9
    kms_key_administrator_arns   = ["arn:aws:iam::222222222222:role/bucket-admin"]
    kms_key_reader_arns          = ["arn:aws:iam::222222222222:role/bucket-reader"]
    alarm_key_administrator_arns = ["arn:aws:iam::111111111111:role/alarm-admin"]
    alarm_key_reader_arns        = ["arn:aws:iam::111111111111:role/alarm-reader"]
  }

  # The deprecation warning: a check block's failed assertion is a warning, not an error.
  expect_failures = [check.deprecated_variable_names]

  assert {
    condition     = local.current_version_expiration_days == 9
    error_message = "object_expiration_days must still be what the data-bucket module gets."
  }

  assert {
    condition = jsonencode([
      local.bucket_kms_key_administrator_arns, local.bucket_kms_key_reader_arns,
      local.alarm_kms_key_administrator_arns, local.alarm_kms_key_reader_arns,
      ]) == jsonencode([
      ["arn:aws:iam::222222222222:role/bucket-admin"], ["arn:aws:iam::222222222222:role/bucket-reader"],
      ["arn:aws:iam::111111111111:role/alarm-admin"], ["arn:aws:iam::111111111111:role/alarm-reader"],
    ])
    error_message = "The old names must give the key policies the same roles as the new ones."
  }

  assert {
    condition     = length(local.deprecated_variables_set) == 5
    error_message = "Each old name set must be named in the warning."
  }
}

run "the_same_value_under_both_names_is_accepted" {
  command = plan

  variables {
    object_expiration_days          = 9
    current_version_expiration_days = 9
  }

  expect_failures = [check.deprecated_variable_names]

  assert {
    condition     = local.current_version_expiration_days == 9
    error_message = "The same value under both names must be taken."
  }
}

run "different_values_under_both_names_are_refused" {
  command = plan

  variables {
    object_expiration_days           = 9
    current_version_expiration_days  = 10
    kms_key_reader_arns              = ["arn:aws:iam::222222222222:role/old"]
    bucket_kms_key_reader_arns       = ["arn:aws:iam::222222222222:role/new"]
    alarm_key_administrator_arns     = ["arn:aws:iam::111111111111:role/old"]
    alarm_kms_key_administrator_arns = ["arn:aws:iam::111111111111:role/new"]
    alarm_key_reader_arns            = ["arn:aws:iam::111111111111:role/old"]
    alarm_kms_key_reader_arns        = ["arn:aws:iam::111111111111:role/new"]
  }

  expect_failures = [
    var.current_version_expiration_days,
    var.bucket_kms_key_reader_arns,
    var.alarm_kms_key_administrator_arns,
    var.alarm_kms_key_reader_arns,
    check.deprecated_variable_names,
  ]
}

# Apart: bucket_kms_key_reader_arns' validations read the administrators, and Terraform does not
# evaluate a validation whose inputs already failed theirs.
run "different_bucket_key_administrators_under_both_names_are_refused" {
  command = plan

  variables {
    kms_key_administrator_arns        = ["arn:aws:iam::222222222222:role/old"]
    bucket_kms_key_administrator_arns = ["arn:aws:iam::222222222222:role/new"]
  }

  expect_failures = [var.bucket_kms_key_administrator_arns, check.deprecated_variable_names]
}

# infra/bootstrap scopes the CI roles to the names modules/_names derives: what the modules create
# must be named exactly so, or a CI deploy is refused (tests/repository/test_resource_names.py
# checks that both roots read their names there).
run "the_modules_create_what_the_names_module_names" {
  command = plan

  assert {
    condition = [
      module.function.function_name, module.function.role_name, module.function.worker_function_name,
      module.function.log_group_name, module.function.worker_log_group_name, module.function.jobs_table_name,
      module.function.jobs_queue_name, module.function.jobs_dead_letter_queue_name, module.monitoring.dashboard_name,
      ] == [
      module.names.name, module.names.function_role, module.names.worker_function,
      module.names.function_log_groups.api, module.names.function_log_groups.worker, module.names.jobs_table,
      module.names.jobs_queue, module.names.jobs_dead_letter_queue, module.names.dashboard,
    ]
    error_message = "The function and monitoring modules must create what modules/_names names (the bootstrap's roles are scoped to it)."
  }

  assert {
    condition     = alltrue([for name in values(module.monitoring.alarm_names) : startswith(name, trimsuffix(module.names.alarms_pattern, "*"))])
    error_message = "Every alarm must be named as modules/_names says."
  }

  assert {
    condition     = startswith(module.api.access_log_group_name, trimsuffix(module.names.api_log_groups_pattern, "*")) && output.bucket_name == "${module.names.name}-222222222222-eu-west-1"
    error_message = "The API's access log group and the data bucket must match modules/_names' patterns."
  }
}
