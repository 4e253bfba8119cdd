locals {
  # One definition per alarm; treat_missing_data is chosen for each (why, beside it). Every metric
  # here counts bad events or measures requests, so an idle service sends no data: "notBreaching"
  # keeps such an alarm OK, never INSUFFICIENT_DATA or ALARM, on a quiet night.
  alarms = {
    api-5xx-rate = {
      description = "Share of API requests answered 5XX above ${var.api_5xx_rate_threshold} over 5 minutes."
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = local.api_dimensions
      # 5XXError is 0 or 1 per request: its Average is the 5XX rate.
      statistic          = "Average"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.api_5xx_rate_threshold
      # No requests, no rate: not a failure.
      treat_missing_data = "notBreaching"
    }
    function-errors = {
      description        = "Function invocations that crashed (not error answers) above ${var.function_errors_threshold} in 5 minutes."
      namespace          = "AWS/Lambda"
      metric_name        = "Errors"
      dimensions         = local.function_dimensions
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.function_errors_threshold
      # Lambda sends Errors only for periods with invocations: none is zero errors.
      treat_missing_data = "notBreaching"
    }
    function-throttles = {
      description        = "Throttled function invocations above ${var.function_throttles_threshold} in 5 minutes."
      namespace          = "AWS/Lambda"
      metric_name        = "Throttles"
      dimensions         = local.function_dimensions
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.function_throttles_threshold
      # Only invocations are throttled: no data, no throttling.
      treat_missing_data = "notBreaching"
    }
    duration-near-timeout = {
      description        = "p99 function duration above ${var.duration_timeout_share} of the ${var.function_timeout_seconds} s timeout over 5 minutes, twice in a row."
      namespace          = "AWS/Lambda"
      metric_name        = "Duration"
      dimensions         = local.function_dimensions
      statistic          = null
      extended_statistic = "p99"
      period             = 300
      evaluation_periods = 2
      threshold          = var.function_timeout_seconds * 1000 * var.duration_timeout_share
      # No invocation has no duration; an idle period must not end a slow streak as ALARM.
      treat_missing_data = "notBreaching"
    }
    api-4xx-surge = {
      description        = "API requests answered 4XX above ${var.api_4xx_surge_threshold} in 5 minutes: abuse or a broken caller."
      namespace          = "AWS/ApiGateway"
      metric_name        = "4XXError"
      dimensions         = local.api_dimensions
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.api_4xx_surge_threshold
      # No requests, no refusals.
      treat_missing_data = "notBreaching"
    }
    usage-quota = {
      description = "Requests over 24 hours above ${var.quota_usage_share} of the usage plan's daily quota (${var.usage_plan_daily_quota})."
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dimensions
      # API Gateway publishes no quota-usage metric; the stage's request Count over a day stands
      # in (the stage has one API key, so its requests are the key's). The quota resets at 00:00
      # UTC while this window rolls: it may warn a little early, never late.
      statistic          = "Sum"
      extended_statistic = null
      period             = 86400
      evaluation_periods = 1
      threshold          = var.usage_plan_daily_quota * var.quota_usage_share
      # A day without requests is a day far from the quota.
      treat_missing_data = "notBreaching"
    }
    s3-refusals = {
      description = "Writes S3 refused (function metric Failures, code storage_error) above ${var.s3_refusals_threshold} in 5 minutes."
      namespace   = var.metrics_namespace
      metric_name = "Failures"
      dimensions  = { environment = var.environment, code = "storage_error" }
      statistic   = "Sum"
      # The function writes this metric only when S3 refuses: absence means no refusal.
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.s3_refusals_threshold
      treat_missing_data = "notBreaching"
    }
    jobs-failed = {
      description = "Jobs that ended failed (worker metric JobsFailed) above ${var.jobs_failed_threshold} in 5 minutes."
      namespace   = var.metrics_namespace
      metric_name = "JobsFailed"
      dimensions  = { environment = var.environment }
      statistic   = "Sum"
      # The worker writes this metric only when a job ends failed: absence means none did.
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.jobs_failed_threshold
      treat_missing_data = "notBreaching"
    }
    datasets-failed = {
      description = "Datasets that ended failed (worker metric DatasetsFailed) above ${var.datasets_failed_threshold} in 5 minutes: files of a dataset could not be written."
      namespace   = var.metrics_namespace
      metric_name = "DatasetsFailed"
      dimensions  = { environment = var.environment }
      statistic   = "Sum"
      # The worker writes this metric only when a dataset ends failed: absence means none did.
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.datasets_failed_threshold
      treat_missing_data = "notBreaching"
    }
    jobs-abandoned = {
      description = "Jobs ended failed from the dead-letter queue (worker metric JobsAbandoned): every attempt of a job failed or was killed."
      namespace   = var.metrics_namespace
      metric_name = "JobsAbandoned"
      dimensions  = { environment = var.environment }
      statistic   = "Sum"
      # Each one is a job whose attempts all crashed, timed out or were throttled: an operator looks
      # at every one. Absence means none.
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = 0
      treat_missing_data = "notBreaching"
    }
    jobs-oldest-waiting = {
      description = "The oldest job waiting in ${var.jobs_queue_name} is older than ${var.job_oldest_waiting_threshold_seconds} s: jobs arrive faster than worker_max_concurrency runs them, or the worker does not run."
      namespace   = "AWS/SQS"
      metric_name = "ApproximateAgeOfOldestMessage"
      dimensions  = { QueueName = var.jobs_queue_name }
      # The age in seconds of the oldest message not yet deleted; a job running or waiting for its
      # retry counts too, so the threshold must exceed the bound one job takes.
      statistic          = "Maximum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = var.job_oldest_waiting_threshold_seconds
      # SQS sends a queue's metrics while it is active; an inactive queue holds no old job.
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
      treat_missing_data = "notBreaching"
    }
    jobs-dead-letter = {
      description = "Messages stay in the dead-letter queue ${var.jobs_dead_letter_queue_name} for ${var.jobs_dead_letter_alarm_periods} x 5 minutes: the worker fails to end those jobs."
      # The worker ends a dead-lettered job within seconds of its arrival and deletes the message:
      # one still there period after period is one the worker fails on. A message it failed on
      # is in flight (NotVisible) for the queue's visibility timeout, six worker timeouts, and
      # visible only for moments between receives, so the alarm counts both.
      sum_of = {
        namespace    = "AWS/SQS"
        metric_names = ["ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"]
        dimensions   = { QueueName = var.jobs_dead_letter_queue_name }
        statistic    = "Maximum"
      }
      period             = 300
      evaluation_periods = var.jobs_dead_letter_alarm_periods
      threshold          = 0
      # An active queue reports every minute, so an empty one reports 0; no data is an idle queue.
      treat_missing_data = "notBreaching"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: docs/operations.md#${each.key}"
  namespace           = try(each.value.namespace, null)
  metric_name         = try(each.value.metric_name, null)
  dimensions          = try(each.value.dimensions, null)
  statistic           = try(each.value.statistic, null)
  extended_statistic  = try(each.value.extended_statistic, null)
  period              = try(each.value.sum_of, null) == null ? each.value.period : null
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  # An alarm on the sum of several metrics: one query per metric and the sum, which is what the
  # alarm compares (return_data).
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
  dynamic "metric_query" {
    for_each = try(each.value.sum_of.metric_names, [])

    content {
      id = "m${metric_query.key}"

      metric {
        namespace   = each.value.sum_of.namespace
        metric_name = metric_query.value
        dimensions  = each.value.sum_of.dimensions
        stat        = each.value.sum_of.statistic
        period      = each.value.period
      }
    }
  }

  dynamic "metric_query" {
    for_each = try(each.value.sum_of, null) == null ? [] : [each.value.sum_of]

    content {
      id          = "total"
      expression  = join(" + ", [for index in range(length(metric_query.value.metric_names)) : "m${index}"])
      label       = "messages in the queue"
      return_data = true
    }
  }
}
