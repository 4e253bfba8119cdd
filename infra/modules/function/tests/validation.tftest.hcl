# Every validation block rejects a bad value. A run fails unless each variable it lists in
# expect_failures fails its own validation, so one run can check several; two runs try two
# different bad values for each.

mock_provider "aws" {
  source = "../../tests/mocks/workload"
}

run "rejects_bad_values" {
  command = plan

  variables {
    function_name        = "randfile test"
    role_name            = "randfile/function"
    zip_path             = "tests/fixtures/randfile.tar.gz"
    bucket_arn           = "randfile-test-222222222222-eu-west-1" # a name, not an ARN
    bucket_owner         = "22222222222"                          # 11 digits
    key_prefix           = "random"
    kms_key_arn          = "alias/randfile-test-data"
    max_sync_bytes       = 0
    max_bytes            = 0
    memory_size          = 127
    timeout              = 0
    reserved_concurrency = 0
    log_retention_days   = 2
    worker_timeout       = 59
    worker_memory_size   = 127
    job_retention_days   = 0

    worker_max_concurrency = 1
    job_max_receive_count  = 0

    permissions_boundary_arn = "randfile-ci-test-boundary" # a name, not its ARN
  }

  expect_failures = [
    var.function_name,
    var.role_name,
    var.zip_path,
    var.bucket_arn,
    var.bucket_owner,
    var.key_prefix,
    var.kms_key_arn,
    var.max_sync_bytes,
    var.max_bytes,
    var.memory_size,
    var.timeout,
    var.reserved_concurrency,
    var.log_retention_days,
    var.worker_timeout,
    var.worker_memory_size,
    var.job_retention_days,
    var.permissions_boundary_arn,
    var.worker_max_concurrency,
    var.job_max_receive_count,
  ]
}

run "rejects_other_bad_values" {
  command = plan

  variables {
    function_name        = "a-function-name-of-58-characters-leaves-no-room-for-worker"
    role_name            = "a-role-name-of-sixty-five-characters-is-one-more-than-lambda-allows"
    zip_path             = "dist/randfile"
    bucket_arn           = "arn:aws:s3:::randfile-test/random/" # an object prefix, not the bucket
    bucket_owner         = "arn:aws:iam::222222222222:root"
    key_prefix           = "/random/"
    kms_key_arn          = "0d1c2b3a-0000-4000-8000-000000000001" # a key ID, not its ARN
    max_sync_bytes       = 1.5
    memory_size          = 10241
    timeout              = 901
    reserved_concurrency = -1
    log_retention_days   = 0
    worker_timeout       = 901
    worker_memory_size   = 10241
    job_retention_days   = 1.5

    worker_max_concurrency = 1001
    job_max_receive_count  = 11

    permissions_boundary_arn = "arn:aws:iam::111111111111:role/randfile-ci-test-boundary" # a role
  }

  expect_failures = [
    var.function_name,
    var.role_name,
    var.zip_path,
    var.bucket_arn,
    var.bucket_owner,
    var.key_prefix,
    var.kms_key_arn,
    var.max_sync_bytes,
    var.memory_size,
    var.timeout,
    var.reserved_concurrency,
    var.log_retention_days,
    var.worker_timeout,
    var.worker_memory_size,
    var.job_retention_days,
    var.permissions_boundary_arn,
    var.worker_max_concurrency,
    var.job_max_receive_count,
  ]
}

# The rules the function itself applies to its environment (src/randfile/config.py): a value the
# function would refuse at run time is refused at plan time instead.
run "rejects_what_the_function_would_refuse" {
  command = plan

  variables {
    bucket_name    = "Randfile_Test"
    key_prefix     = "random//daily/"
    max_sync_bytes = 5497558138881
  }

  expect_failures = [
    var.bucket_name,
    var.key_prefix,
    var.max_sync_bytes,
  ]
}

# max_job_bytes is checked against worker_timeout and worker_memory_size, so Terraform checks it
# only in runs where those two are valid.
run "rejects_no_job_size" {
  command = plan

  variables {
    max_job_bytes = 0
  }

  expect_failures = [var.max_job_bytes]
}

run "rejects_a_job_size_past_s3_s_largest_object" {
  command = plan

  variables {
    max_job_bytes = 5497558138881
  }

  expect_failures = [var.max_job_bytes]
}

# A job size the worker cannot write before its timeout, at docs/performance.md's 86 MB/s: 10 GiB
# needs 125 s, and a third of a vCPU writes a third as fast.
run "rejects_a_job_size_the_worker_cannot_write_in_time" {
  command = plan

  variables {
    worker_timeout = 120
  }

  expect_failures = [var.max_job_bytes]
}

# The 120 s the worker keeps for CompleteMultipartUpload do not count: 780 s at 86 MB/s is
# 67,080,000,000 bytes (900 s would admit 77.4 GB); function.tftest.hcl accepts the byte before.
run "rejects_a_job_size_that_needs_the_completion_reserve" {
  command = plan

  variables {
    max_job_bytes = 67080000001
  }

  expect_failures = [var.max_job_bytes]
}

run "rejects_a_job_size_beyond_the_worker_s_share_of_a_vcpu" {
  command = plan

  variables {
    worker_memory_size = 590
    max_job_bytes      = 26000000000
  }

  expect_failures = [var.max_job_bytes]
}

run "rejects_5_tib_within_lambda_s_longest_timeout" {
  command = plan

  variables {
    worker_timeout     = 900
    worker_memory_size = 10240
    max_job_bytes      = 5497558138880
  }

  expect_failures = [var.max_job_bytes]
}

run "rejects_dataset_limits_out_of_range" {
  command = plan

  variables {
    max_dataset_files = 100001
    max_dataset_bytes = 0
  }

  expect_failures = [var.max_dataset_files, var.max_dataset_bytes]
}

run "rejects_fractional_and_oversized_dataset_limits" {
  command = plan

  variables {
    max_dataset_files = 2.5
    max_dataset_bytes = 1125899906842625
  }

  expect_failures = [var.max_dataset_files, var.max_dataset_bytes]
}

run "accepts_the_largest_dataset_limits" {
  command = plan

  variables {
    max_dataset_files = 100000
    max_dataset_bytes = 1125899906842624
  }
}
