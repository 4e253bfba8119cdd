# Plans the stack with one environment's tfvars (scripts/tf-module-tests passes
# -var-file=envs/<env>.tfvars), so each environment's values meet the stack's and every module's
# validation rules and preconditions before anyone plans against the accounts.

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

variables {
  # The function module's fixture stands in for dist/randfile.zip (make build).
  function_zip_path = "../modules/function/tests/fixtures/randfile.zip"
}

run "environment_plans" {
  command = plan

  assert {
    condition     = output.function_name == "randfile-${var.environment}" && output.custom_domain_name == var.domain_name
    error_message = "The environment's resources must be named after it and served on its domain."
  }

  assert {
    condition     = var.environment != "prod" || (var.jobs_table_deletion_protection && var.jobs_table_point_in_time_recovery)
    error_message = "prod's jobs table must refuse deletion and be restorable (envs/prod.tfvars)."
  }

  assert {
    condition     = length(local.deprecated_variables_set) == 0
    error_message = "The environments' tfvars must use the stack's current variable names (deprecated.tf)."
  }
}
