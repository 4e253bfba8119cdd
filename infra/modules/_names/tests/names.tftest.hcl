# The names both roots read. infra/stack's tests check that its modules create exactly these;
# tests/repository/test_resource_names.py that the bootstrap and the stack spell no name of their
# own.

run "names_derive_from_the_prefix_and_the_environment" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition = [
      output.name, output.function_role, output.worker_function, output.jobs_table, output.jobs_queue,
      output.jobs_dead_letter_queue, output.retired_jobs_failed_queue, output.alarm_topic, output.dashboard,
      ] == [
      "randfile-dev", "randfile-dev-function", "randfile-dev-worker", "randfile-dev-jobs", "randfile-dev-jobs-queue",
      "randfile-dev-jobs-dead-letter", "randfile-dev-jobs-failed", "randfile-dev-alarms", "randfile-dev",
    ]
    error_message = "Every name must be randfile-<environment> or start with randfile-<environment>-."
  }

  assert {
    condition = [output.data_key_alias, output.alarm_key_alias, output.alarms_pattern, output.api_log_groups_pattern] == [
      "alias/randfile-dev-data", "alias/randfile-dev-alarms", "randfile-dev-*", "/aws/apigateway/randfile-dev/*",
    ]
    error_message = "Aliases, alarms and the API's log groups must be named after the environment."
  }

  assert {
    condition     = output.function_log_groups == { api = "/aws/lambda/randfile-dev", worker = "/aws/lambda/randfile-dev-worker" }
    error_message = "Each function's log group must be Lambda's default for its name."
  }
}

run "the_bootstrap_prefix_reaches_every_name" {
  command = plan

  variables {
    prefix      = "files"
    environment = "prod"
  }

  assert {
    condition     = output.name_patterns == ["files-prod", "files-prod-*"] && output.jobs_table == "files-prod-jobs"
    error_message = "prefix must be the first word of every name."
  }
}
