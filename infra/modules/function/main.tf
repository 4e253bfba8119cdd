data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "Execution role of ${var.function_name}: writes under one bucket prefix, logs to its own group."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "WriteUnderPrefix"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arn}/${var.key_prefix}*"]
  }

  # Uploads to an SSE-KMS bucket need GenerateDataKey, and multipart uploads also Decrypt.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseBucketKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # AWS requires "*" here: X-Ray's trace APIs support no resource-level permissions.
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "write-random-files"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; the logs hold no secrets (request ids, sizes, keys), so a customer key adds cost and no protection.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# Read only when a reservation is asked for, so the defaults need no Service Quotas permission.
# "Concurrent executions" (L-B99A9384) is 1,000 by default and as low as 10 on new accounts; Lambda
# keeps min(100, quota) executions unreserved and refuses a reservation that goes below it.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
data "aws_servicequotas_service_quota" "concurrency" {
  count = var.reserved_concurrency == null ? 0 : 1

  service_code = "lambda"
  quota_code   = "L-B99A9384"
}

locals {
  concurrency_quota  = one(data.aws_servicequotas_service_quota.concurrency[*].value)
  min_unreserved     = local.concurrency_quota == null ? null : min(100, local.concurrency_quota)
  reservable_at_most = local.concurrency_quota == null ? null : local.concurrency_quota - local.min_unreserved

  # Named once, in python-version: the local cloud runs the function on that Python, `make test`
  # runs the unit tests on it, and CI installs it from the same file. The provider refuses a
  # value that is not a Lambda runtime (e.g. 3.13.0).
  runtime = "python${trimspace(file("${path.module}/python-version"))}"
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway: failures go back to the caller, there is no async event to dead-letter.
  #checkov:skip=CKV_AWS_117:Reaches only S3's public regional endpoint and nothing private; a VPC would add NAT or endpoint cost and no isolation.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (bucket name, owner account, prefix, size cap); Lambda encrypts it at rest with an AWS key.
  #checkov:skip=CKV_AWS_272:The package is built reproducibly by this repository's pipeline from reviewed source; code signing is out of scope for this service.
  function_name                  = var.function_name
  description                    = "Writes files of random bytes to s3://${var.bucket_name}/${var.key_prefix}"
  role                           = aws_iam_role.this.arn
  runtime                        = local.runtime
  architectures                  = ["arm64"]
  handler                        = "randfile.handler.handler"
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  tags                           = var.tags

  environment {
    variables = merge(
      {
        RANDFILE_BUCKET       = var.bucket_name
        RANDFILE_BUCKET_OWNER = var.bucket_owner
        RANDFILE_KEY_PREFIX   = var.key_prefix
        RANDFILE_MAX_BYTES    = tostring(var.max_bytes)
      },
      var.environment == null ? {} : { RANDFILE_ENVIRONMENT = var.environment },
    )
  }

  tracing_config {
    mode = "Active"
  }

  lifecycle {
    precondition {
      condition     = var.reserved_concurrency == null || try(var.reserved_concurrency <= local.reservable_at_most, true)
      error_message = "reserved_concurrency = ${coalesce(var.reserved_concurrency, 0)} cannot be granted: this account's Lambda concurrency quota (Service Quotas L-B99A9384) is ${coalesce(local.concurrency_quota, 0)}, and AWS keeps at least ${coalesce(local.min_unreserved, 0)} executions unreserved, so at most ${coalesce(local.reservable_at_most, 0)} can be reserved (less any other function's reservation). Set reserved_concurrency = null, or ask for a higher quota first."
    }
  }

  # The group must exist first, or Lambda creates it on the first invoke without retention; the
  # role's policy must be attached before the first invoke can write.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}
