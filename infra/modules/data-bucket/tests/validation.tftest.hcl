# Every validation block rejects a bad value. A run fails unless each variable it lists in
# expect_failures fails its own validation, so one run can check several; two runs try two
# different bad values for each.

mock_provider "aws" {
  source = "../../tests/mocks/data"
}

run "rejects_bad_values" {
  command = plan

  variables {
    name                               = "Randfile" # uppercase
    bucket_name                        = "random_files"
    writer_role_arn                    = "arn:aws:iam::111111111111:user/someone" # a user, not a role
    key_prefix                         = "random"                                 # no trailing slash
    kms_deletion_window_in_days        = 6
    current_version_expiration_days    = 0
    noncurrent_version_expiration_days = 0
    kms_key_administrator_arns         = ["randfile-ci-test-apply"]
    kms_key_reader_arns                = ["randfile-ci-test-plan"]
  }

  expect_failures = [
    var.name,
    var.bucket_name,
    var.writer_role_arn,
    var.key_prefix,
    var.kms_deletion_window_in_days,
    var.current_version_expiration_days,
    var.noncurrent_version_expiration_days,
    var.kms_key_administrator_arns,
    var.kms_key_reader_arns,
  ]
}

run "rejects_other_bad_values" {
  command = plan

  variables {
    name                               = "randfile-a-name-far-too-long-for" # 32 characters
    bucket_name                        = "ab"
    writer_role_arn                    = "111111111111" # an account, not a role ARN
    key_prefix                         = "/random/"
    kms_deletion_window_in_days        = 31
    current_version_expiration_days    = 1.5
    noncurrent_version_expiration_days = 2.5
    kms_key_administrator_arns         = ["arn:aws:iam::222222222222:policy/randfile-ci-test-apply"]
    kms_key_reader_arns                = ["arn:aws:iam::222222222222:user/randfile-ci-test-plan"]
  }

  expect_failures = [
    var.name,
    var.bucket_name,
    var.writer_role_arn,
    var.key_prefix,
    var.kms_deletion_window_in_days,
    var.current_version_expiration_days,
    var.noncurrent_version_expiration_days,
    var.kms_key_administrator_arns,
    var.kms_key_reader_arns,
  ]
}

run "rejects_a_prefix_the_function_would_refuse" {
  command = plan

  variables {
    name            = "randfile-test"
    writer_role_arn = "arn:aws:iam::111111111111:role/randfile-test-function"
    key_prefix      = "random//daily/"
  }

  expect_failures = [var.key_prefix]
}
