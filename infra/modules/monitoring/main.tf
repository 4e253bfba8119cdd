data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Built from names so the topic's own policy can name it, and both policies the alarms.
  alarm_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name}-alarms"
  alarm_arns      = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"

  # What the function emits (src/randfile/metrics.py; tests/unit/test_monitoring_names.py keeps
  # these lists equal to the code's formats and error codes).
  file_formats = ["binary", "text", "csv", "jsonl"]
  error_codes = [
    "invalid_request", "not_found", "method_not_allowed", "payload_too_large", "unsupported_media_type",
    "internal_error", "service_misconfigured", "runtime_outdated", "storage_error", "storage_unavailable",
    "deadline_exceeded", "jobs_unavailable", "idempotency_key_in_use", "idempotency_key_reused",
  ]

  api_dimensions      = { ApiName = var.api_name, Stage = var.api_stage_name }
  function_dimensions = { FunctionName = var.function_name }

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
    failed-jobs = {
      description = "Asynchronous jobs that failed every attempt wait in the queue ${var.failed_jobs_queue_name}."
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = var.failed_jobs_queue_name }
      # The count of records waiting: any record is a job an operator has to look at, and the
      # alarm stays in ALARM until the queue is emptied.
      statistic          = "Maximum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      threshold          = 0
      # SQS reports a queue's metrics while it is active, which a queue holding messages is: no
      # data means an idle, empty queue.
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
      treat_missing_data = "notBreaching"
    }
  }
}

# --- Notifications ------------------------------------------------------------------------------

data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only; key policies cannot name a narrower resource.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The CI roles manage and read this key through this policy, not through tags in their identity
  # policies: a role ARN as principal is in force from CreateKey on, while a new key's tags "can
  # take up to five minutes" to count in authorization, which would fail the rotation and alias
  # calls Terraform makes right after creating it. Naming the apply role also passes CreateKey's
  # lockout check (the caller must be allowed kms:PutKeyPolicy by the new policy).
  # https://docs.aws.amazon.com/kms/latest/developerguide/abac.html#abac-eventual-consistency
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key
  dynamic "statement" {
    for_each = length(var.kms_key_administrator_arns) > 0 ? [var.kms_key_administrator_arns] : []

    content {
      sid = "KeyAdministrators"
      actions = [
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_reader_arns) > 0 ? [var.kms_key_reader_arns] : []

    content {
      sid       = "KeyReaders"
      actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }

  # CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets
  # cloudwatch.amazonaws.com use it; the AWS managed aws/sns key's policy cannot be changed, so an
  # alarm's notification to a topic under it is dropped.
  # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description         = "Encrypts ${var.name}'s alarm topic; CloudWatch alarms may use it to publish."
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarm_key.json
  tags                = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

# In place of SNS's default policy, which lets every principal of the account use the topic
# (Principal "*" with an AWS:SourceOwner condition): CloudWatch publishes for this environment's
# alarms, and the account's own principals use the topic through their IAM policies as usual.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.alarm_topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
  policy            = data.aws_iam_policy_document.alarm_topic.json
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = { for s in var.alarm_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

# --- Alarms -------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: docs/operations.md#${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# --- Dashboard ----------------------------------------------------------------------------------

locals {
  api_metric      = ["AWS/ApiGateway", "ApiName", var.api_name, "Stage", var.api_stage_name]
  function_metric = ["AWS/Lambda", "FunctionName", var.function_name]
  worker_metric   = ["AWS/Lambda", "FunctionName", var.worker_function_name]

  dashboard_widgets = [
    { title = "Requests", stat = "Sum", metrics = [[local.api_metric[0], "Count", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4]]] },
    {
      title = "Latency (ms)", stat = "p50"
      metrics = [
        for stat in ["p50", "p90", "p99"] : [local.api_metric[0], "Latency", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { stat = stat, label = "API ${stat}" }]
      ]
    },
    {
      title = "Errors by code", stat = "Sum"
      metrics = concat(
        [for name in ["4XXError", "5XXError"] : [local.api_metric[0], name, local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4]]],
        [for code in local.error_codes : [var.metrics_namespace, "Failures", "environment", var.environment, "code", code, { label = code }]],
      )
    },
    {
      title   = "Function errors and throttles", stat = "Sum"
      metrics = [for name in ["Errors", "Throttles"] : [local.function_metric[0], name, local.function_metric[1], local.function_metric[2]]]
    },
    {
      title   = "Concurrency", stat = "Maximum"
      metrics = [[local.function_metric[0], "ConcurrentExecutions", local.function_metric[1], local.function_metric[2]]]
    },
    {
      title   = "Files written by format", stat = "Sum"
      metrics = [for format in local.file_formats : [var.metrics_namespace, "FilesWritten", "environment", var.environment, "format", format, { label = format }]]
    },
    {
      title   = "Bytes written by format", stat = "Sum"
      metrics = [for format in local.file_formats : [var.metrics_namespace, "BytesWritten", "environment", var.environment, "format", format, { label = format }]]
    },
    {
      title = "Jobs: worker runs, errors, failed jobs", stat = "Sum"
      metrics = concat(
        [for name in ["Invocations", "Errors", "Throttles"] : [local.worker_metric[0], name, local.worker_metric[1], local.worker_metric[2], { label = "worker ${name}" }]],
        [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.failed_jobs_queue_name, { stat = "Maximum", label = "failed jobs waiting" }]],
      )
    },
    {
      title = "Generation and upload time p99 (ms)", stat = "p99"
      metrics = [for pair in setproduct(local.file_formats, ["GenerationTime", "UploadTime"]) :
        [var.metrics_namespace, pair[1], "environment", var.environment, "format", pair[0], { label = "${pair[1]} ${pair[0]}" }]
      ]
    },
  ]

  dashboard = {
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 3
        properties = {
          title  = "Alarms"
          alarms = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.arn]
        }
      }],
      [for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = 3 + floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = local.region
          view    = "timeSeries"
          stat    = widget.stat
          period  = 300
          metrics = widget.metrics
        }
      }],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.dashboard)
}

# --- Saved Logs Insights queries (docs/operations.md runs them) ---------------------------------

locals {
  queries = {
    failures-by-code = {
      log_groups = [var.function_log_group_name]
      query      = <<-EOT
        fields @timestamp, request_id, status, code, reason
        | filter message = "request failed" or level = "ERROR"
        | stats count(*) as failures by code, status
        | sort failures desc
      EOT
    }
    one-request = {
      log_groups = [var.api_access_log_group_name, var.function_log_group_name]
      query      = <<-EOT
        fields @timestamp, @log, requestId, status, request_id, message, key, code, reason
        | filter requestId = "REPLACE_API_REQUEST_ID" or request_id = "REPLACE_FUNCTION_REQUEST_ID"
        | sort @timestamp asc
      EOT
    }
    slowest-requests = {
      log_groups = [var.function_log_group_name]
      query      = <<-EOT
        filter @type = "REPORT"
        | fields @timestamp, @requestId, @duration, @maxMemoryUsed
        | sort @duration desc
        | limit 20
      EOT
    }
    callers-4xx = {
      log_groups = [var.api_access_log_group_name]
      query      = <<-EOT
        fields @timestamp, status, caller, userArn, apiKeyId, sourceIp, errorMessage
        | filter status >= 400 and status < 500
        | stats count(*) as refused by status, userArn, apiKeyId, sourceIp, errorMessage
        | sort refused desc
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.create_query_definitions ? local.queries : {}

  name            = "${var.name}/${each.key}"
  log_group_names = each.value.log_groups
  query_string    = each.value.query
}
