# Every alarm watches the metric its runbook section names, with the statistic, threshold variable
# and actions it should have; the dashboard charts only metrics that exist (AWS's, or those
# src/randfile/metrics.py writes); the topic is encrypted with a key CloudWatch may use; bad values
# are refused at plan time.

mock_provider "aws" {
  source          = "../../tests/mocks/workload"
  override_during = plan
}

# The module's other inputs come from tests/terraform.tfvars.
variables {
  # Distinct values, so each alarm's threshold shows which variable it comes from.
  api_5xx_rate_threshold       = 0.03
  function_errors_threshold    = 2
  function_throttles_threshold = 3
  duration_timeout_share       = 0.75
  api_4xx_surge_threshold      = 40
  quota_usage_share            = 0.9
  s3_refusals_threshold        = 1

  jobs_failed_threshold                = 4
  datasets_failed_threshold            = 6
  job_oldest_waiting_threshold_seconds = 5400
  jobs_dead_letter_alarm_periods       = 2
}

run "every_alarm_watches_its_metric_with_its_threshold_variable" {
  command = plan

  assert {
    condition     = sort(keys(aws_cloudwatch_metric_alarm.this)) == sort(["api-5xx-rate", "function-errors", "function-throttles", "duration-near-timeout", "api-4xx-surge", "usage-quota", "s3-refusals", "jobs-failed", "jobs-abandoned", "jobs-oldest-waiting", "jobs-dead-letter", "datasets-failed"])
    error_message = "The alarms must be exactly the seven of issue 13, issue 25's four on jobs and issue 27's on datasets (each a section of docs/operations.md)."
  }

  assert {
    condition = {
      for key, alarm in aws_cloudwatch_metric_alarm.this : key => [alarm.namespace, alarm.metric_name, coalesce(alarm.statistic, alarm.extended_statistic), tostring(alarm.threshold)] if key != "jobs-dead-letter"
      } == {
      api-5xx-rate          = ["AWS/ApiGateway", "5XXError", "Average", "0.03"]
      function-errors       = ["AWS/Lambda", "Errors", "Sum", "2"]
      function-throttles    = ["AWS/Lambda", "Throttles", "Sum", "3"]
      duration-near-timeout = ["AWS/Lambda", "Duration", "p99", "15000"]
      api-4xx-surge         = ["AWS/ApiGateway", "4XXError", "Sum", "40"]
      usage-quota           = ["AWS/ApiGateway", "Count", "Sum", "900"]
      s3-refusals           = ["randfile", "Failures", "Sum", "1"]
      jobs-failed           = ["randfile", "JobsFailed", "Sum", "4"]
      jobs-abandoned        = ["randfile", "JobsAbandoned", "Sum", "0"]
      datasets-failed       = ["randfile", "DatasetsFailed", "Sum", "6"]
      jobs-oldest-waiting   = ["AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "5400"]
    }
    error_message = "An alarm watches the wrong metric or statistic, or ignores its threshold variable."
  }

  assert {
    condition = [for key in ["jobs-failed", "jobs-abandoned", "datasets-failed"] : aws_cloudwatch_metric_alarm.this[key].dimensions] == [
      tomap({ environment = "test" }), tomap({ environment = "test" }), tomap({ environment = "test" }),
    ]
    error_message = "The job and dataset alarms must watch the worker's metrics of this environment, by environment alone as the worker writes them."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["jobs-oldest-waiting"].dimensions == tomap({ QueueName = "randfile-test-jobs-queue" })
    error_message = "The waiting-job alarm must watch this environment's jobs queue."
  }

  assert {
    condition = toset([
      for query in aws_cloudwatch_metric_alarm.this["jobs-dead-letter"].metric_query : [
        query.id, query.expression, query.return_data,
        [for metric in query.metric : [metric.namespace, metric.metric_name, metric.dimensions, metric.stat, metric.period]],
      ]
      ]) == toset([
      ["m0", null, null, [["AWS/SQS", "ApproximateNumberOfMessagesVisible", tomap({ QueueName = "randfile-test-jobs-dead-letter" }), "Maximum", 300]]],
      ["m1", null, null, [["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", tomap({ QueueName = "randfile-test-jobs-dead-letter" }), "Maximum", 300]]],
      ["total", "m0 + m1", true, []],
    ])
    error_message = "The dead-letter alarm must sum the messages waiting and in flight in this environment's dead-letter queue (a message the worker fails on is mostly in flight)."
  }

  assert {
    condition = [
      aws_cloudwatch_metric_alarm.this["jobs-dead-letter"].threshold,
      aws_cloudwatch_metric_alarm.this["jobs-dead-letter"].evaluation_periods,
      aws_cloudwatch_metric_alarm.this["jobs-dead-letter"].comparison_operator,
      aws_cloudwatch_metric_alarm.this["jobs-dead-letter"].treat_missing_data,
    ] == [0, 2, "GreaterThanThreshold", "notBreaching"]
    error_message = "The dead-letter alarm must fire when any message stays jobs_dead_letter_alarm_periods periods."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["s3-refusals"].dimensions == tomap({ environment = "test", code = "storage_error" })
    error_message = "The S3 refusal alarm must read the function's Failures metric for storage_error in this environment."
  }

  assert {
    condition = alltrue([for key in ["api-5xx-rate", "api-4xx-surge", "usage-quota"] :
    aws_cloudwatch_metric_alarm.this[key].dimensions == tomap({ ApiName = "randfile-test", Stage = "v1" })])
    error_message = "The API alarms must read this API's stage."
  }

  assert {
    condition = alltrue([for key in ["function-errors", "function-throttles", "duration-near-timeout"] :
    aws_cloudwatch_metric_alarm.this[key].dimensions == tomap({ FunctionName = "randfile-test" })])
    error_message = "The function alarms must read this function."
  }

  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.this :
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:randfile-test-alarms"]) &&
      alarm.ok_actions == toset(["arn:aws:sns:eu-west-1:111111111111:randfile-test-alarms"]) &&
      alarm.comparison_operator == "GreaterThanThreshold"
    ])
    error_message = "Every alarm must notify the topic when it fires and when it returns to OK."
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : alarm.treat_missing_data == "notBreaching"])
    error_message = "An idle service sends no data; no alarm may fire or go INSUFFICIENT_DATA for that."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["usage-quota"].period == 86400
    error_message = "The quota alarm must add up a day of requests, the quota's span."
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : strcontains(alarm.alarm_description, "docs/operations.md#")])
    error_message = "Every alarm must point at its runbook section."
  }
}

run "topic_is_encrypted_with_a_key_cloudwatch_may_use" {
  command = plan

  variables {
    alarm_subscriptions = [
      { protocol = "email", endpoint = "oncall@example.com" },
      { protocol = "https", endpoint = "https://hooks.example.com/x" },
    ]
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms.arn && aws_kms_key.alarms.enable_key_rotation
    error_message = "The topic must be encrypted with the module's rotating customer managed key, not aws/sns."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.cloudwatch_alarms_publish["key"].statement :
      s.sid == "CloudWatchAlarmsPublish" && contains(flatten([for p in s.principals : p.identifiers]), "cloudwatch.amazonaws.com") &&
    toset(s.actions) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])])
    error_message = "The key policy must let cloudwatch.amazonaws.com encrypt and decrypt for the topic."
  }

  assert {
    condition     = { for k, s in aws_sns_topic_subscription.alarms : k => s.protocol } == { "email:oncall@example.com" = "email", "https:https://hooks.example.com/x" = "https" }
    error_message = "Each subscription variable must become one subscription."
  }
}

run "ci_roles_manage_and_read_the_key_by_its_policy" {
  command = plan

  variables {
    kms_key_administrator_arns = ["arn:aws:iam::111111111111:role/randfile-ci-dev-apply"]
    kms_key_reader_arns        = ["arn:aws:iam::111111111111:role/randfile-ci-dev-plan"]
  }

  assert {
    condition = { for s in jsondecode(module.kms_key_policy.json).Statement : s.Sid => s.Principal.AWS } == {
      AccountAdministers = "arn:aws:iam::111111111111:root"
      KeyAdministrators  = "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"
      KeyReaders         = "arn:aws:iam::111111111111:role/randfile-ci-dev-plan"
    }
    error_message = "The key policy must keep the account root and name the CI apply role as administrator and the plan role as reader."
  }

  assert {
    condition = data.aws_iam_policy_document.alarm_key.source_policy_documents == tolist([
      module.kms_key_policy.json, data.aws_iam_policy_document.cloudwatch_alarms_publish["key"].json,
    ]) && length(data.aws_iam_policy_document.alarm_key.statement) == 0
    error_message = "The key policy must be the statements both key policies share (../_kms-key-policy) and CloudWatch's, nothing else."
  }
}

run "key_roles_must_be_roles" {
  command = plan

  variables {
    kms_key_administrator_arns = ["randfile-ci-dev-apply"]
    kms_key_reader_arns        = ["arn:aws:iam::111111111111:user/someone"]
  }

  expect_failures = [var.kms_key_administrator_arns, var.kms_key_reader_arns]
}

run "only_this_environments_alarms_publish_to_the_topic" {
  command = plan

  assert {
    condition = [for s in data.aws_iam_policy_document.cloudwatch_alarms_publish["topic"].statement : {
      sid        = s.sid
      actions    = s.actions
      resources  = s.resources
      principals = flatten([for p in s.principals : p.identifiers])
      conditions = toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"])
      }] == [{
      sid        = "CloudWatchAlarmsPublish"
      actions    = toset(["sns:Publish"])
      resources  = toset(["arn:aws:sns:eu-west-1:111111111111:randfile-test-alarms"])
      principals = ["cloudwatch.amazonaws.com"]
      conditions = toset(["StringEquals aws:SourceAccount 111111111111", "ArnLike aws:SourceArn arn:aws:cloudwatch:eu-west-1:111111111111:alarm:randfile-test-*"])
    }]
    error_message = "The topic's policy must let CloudWatch publish for this environment's alarms only (no account-wide default policy)."
  }
}

run "a_key_reader_must_be_a_role" {
  command = plan

  variables {
    kms_key_reader_arns = ["arn:aws:iam::111111111111:user/randfile-ci-dev-plan"]
  }

  expect_failures = [var.kms_key_reader_arns]
}

run "dashboard_charts_only_metrics_that_exist" {
  command = plan

  assert {
    condition = alltrue(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
      for metric in try(widget.properties.metrics, []) : contains([
        "AWS/ApiGateway/Count", "AWS/ApiGateway/Latency", "AWS/ApiGateway/4XXError", "AWS/ApiGateway/5XXError",
        "AWS/Lambda/Errors", "AWS/Lambda/Throttles", "AWS/Lambda/ConcurrentExecutions", "AWS/Lambda/Invocations",
        "AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/SQS/ApproximateNumberOfMessagesNotVisible", "AWS/SQS/ApproximateAgeOfOldestMessage",
        "randfile/FilesWritten", "randfile/BytesWritten", "randfile/GenerationTime", "randfile/UploadTime", "randfile/Failures",
        "randfile/JobsFailed", "randfile/JobsAbandoned", "randfile/DatasetsFailed",
      ], "${metric[0]}/${metric[1]}")
    ]]))
    error_message = "A dashboard widget charts a metric neither AWS nor the function (src/randfile/metrics.py) publishes."
  }

  assert {
    condition = alltrue(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
      for metric in try(widget.properties.metrics, []) :
      metric[0] != "randfile" ? true : (metric[2] == "environment" && metric[3] == "test" && (contains(["JobsFailed", "JobsAbandoned", "DatasetsFailed"], metric[1]) ? length(metric) == 5 : contains(["format", "code"], metric[4])))
    ]]))
    error_message = "The function's metrics must be charted with the dimensions it writes: environment, then format or code (the job counts by environment alone)."
  }

  assert {
    condition = toset(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
      for metric in try(widget.properties.metrics, []) : metric[1]
      ]])) == toset(["Count", "Latency", "4XXError", "5XXError", "Errors", "Throttles", "ConcurrentExecutions",
      "FilesWritten", "BytesWritten", "GenerationTime", "UploadTime", "Failures", "Invocations", "JobsFailed", "JobsAbandoned", "DatasetsFailed",
    "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateAgeOfOldestMessage"])
    error_message = "The dashboard must show requests, latency, errors by code, throttles, concurrency, files and bytes per format, and the jobs (worker runs, failed and abandoned jobs, failed datasets, the queues)."
  }

  assert {
    condition = toset(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
      for metric in try(widget.properties.metrics, []) : metric[3] if metric[0] == "AWS/SQS" || (metric[0] == "AWS/Lambda" && metric[1] == "Invocations")
    ]])) == toset(["randfile-test-worker", "randfile-test-jobs-queue", "randfile-test-jobs-dead-letter"])
    error_message = "The jobs widgets must chart this environment's worker and its two queues."
  }

  assert {
    condition     = [for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.type if widget.type == "alarm"] == ["alarm"]
    error_message = "The dashboard must show the alarms' states."
  }
}

run "queries_are_saved_for_the_runbook" {
  command = plan

  assert {
    condition     = sort(keys(aws_cloudwatch_query_definition.this)) == sort(["failures-by-code", "one-request", "slowest-requests", "callers-4xx"])
    error_message = "docs/operations.md runs exactly these saved queries."
  }

  assert {
    condition     = aws_cloudwatch_query_definition.this["one-request"].log_group_names == tolist(["/aws/apigateway/randfile-test/v1/access", "/aws/lambda/randfile-test"])
    error_message = "Finding one request reads the access log and the function's log together."
  }
}

run "no_queries_where_environments_share_the_account" {
  command = plan

  variables {
    create_query_definitions = false
  }

  assert {
    condition     = length(aws_cloudwatch_query_definition.this) == 0
    error_message = "create_query_definitions = false must save no query (their API cannot be scoped to one environment)."
  }
}

run "bad_values_are_refused" {
  command = plan

  variables {
    name                         = "no spaces"
    environment                  = "Prod"
    function_timeout_seconds     = 0
    usage_plan_daily_quota       = 0
    alarm_subscriptions          = [{ protocol = "sms", endpoint = "+15550100" }]
    api_5xx_rate_threshold       = 1
    function_errors_threshold    = -1
    function_throttles_threshold = -1
    duration_timeout_share       = 1.5
    api_4xx_surge_threshold      = 0
    quota_usage_share            = 0
    s3_refusals_threshold        = -1

    jobs_failed_threshold                = -1
    datasets_failed_threshold            = -1
    job_oldest_waiting_threshold_seconds = 299
    jobs_dead_letter_alarm_periods       = 0
  }

  expect_failures = [
    var.name, var.environment, var.function_timeout_seconds, var.usage_plan_daily_quota,
    var.alarm_subscriptions, var.api_5xx_rate_threshold, var.function_errors_threshold,
    var.function_throttles_threshold, var.duration_timeout_share, var.api_4xx_surge_threshold,
    var.quota_usage_share, var.s3_refusals_threshold,
    var.jobs_failed_threshold, var.datasets_failed_threshold, var.job_oldest_waiting_threshold_seconds,
    var.jobs_dead_letter_alarm_periods,
  ]
}

run "other_bad_job_alarm_values_are_refused" {
  command = plan

  variables {
    jobs_failed_threshold                = 0.5
    datasets_failed_threshold            = 1.5
    job_oldest_waiting_threshold_seconds = 1209601 # past SQS's longest retention
    jobs_dead_letter_alarm_periods       = 289
  }

  expect_failures = [var.jobs_failed_threshold, var.datasets_failed_threshold, var.job_oldest_waiting_threshold_seconds, var.jobs_dead_letter_alarm_periods]
}

run "an_http_subscription_is_refused" {
  command = plan

  variables {
    alarm_subscriptions = [{ protocol = "https", endpoint = "http://hooks.example.com/plain" }]
  }

  expect_failures = [var.alarm_subscriptions]
}
