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
    "job_abandoned",
  ]

  api_dimensions      = { ApiName = var.api_name, Stage = var.api_stage_name }
  function_dimensions = { FunctionName = var.function_name }
}
