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
  description          = "Execution role of ${var.function_name} and its worker: writes under one bucket prefix, keeps jobs in their table and queues, logs to their own groups."
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

  # The worker reads back (HEAD, authorised as s3:GetObject) what an earlier attempt of its job
  # wrote (src/randfile/worker.py); the bucket policy grants the same.
  statement {
    sid       = "ReadBackUnderPrefix"
    actions   = ["s3:GetObject"]
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
    resources = ["${aws_cloudwatch_log_group.this.arn}:*", "${aws_cloudwatch_log_group.worker.arn}:*"]
  }

  # Item-level actions on the jobs table only: job and dataset records and Powertools' idempotency
  # records (get, put, conditional update, delete of an expired or failed claim). No scan, query or
  # table-level action. A dataset's chunk ends in a TransactWriteItems of two updates, which IAM
  # authorizes as dynamodb:UpdateItem on each item's table
  # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
  statement {
    sid       = "KeepJobs"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  # The API function queues a job ({"job_id": ...}) or a dataset's fan-out ({"dataset_id": ...});
  # the worker queues a dataset's chunks and its finalize (SendMessageBatch is authorized as
  # sqs:SendMessage, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
  statement {
    sid       = "QueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }

  # Lambda's event source mappings poll both queues with the function's execution role, and the
  # worker shortens its own message's visibility before it claims a job (jobs-design: a killed
  # attempt comes back right after its deadline).
  # https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
  statement {
    sid = "ReceiveJobs"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.jobs_dead_letter.arn]
  }

  # A retry lists the multipart uploads a killed attempt left under its job's key to abort them
  # (ListMultipartUploads with Prefix=key). The action is on the bucket and S3 offers no condition
  # key for the prefix, so the role may list the uploads of the whole bucket (their keys and ids,
  # no content); the bucket policy grants the same.
  # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
  statement {
    sid       = "ListOwnUploads"
    actions   = ["s3:ListBucketMultipartUploads"]
    resources = [var.bucket_arn]
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

resource "aws_cloudwatch_log_group" "worker" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; the worker's logs hold job ids, sizes and keys, no secrets.
  name              = "/aws/lambda/${local.worker_name}"
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
  # max_bytes is max_sync_bytes' older name, read for one more release (CHANGELOG.md).
  max_sync_bytes = coalesce(var.max_sync_bytes, var.max_bytes, 104857600)
}

locals {
  worker_name                 = "${var.function_name}-worker"
  jobs_table_name             = "${var.function_name}-jobs"
  jobs_queue_name             = "${var.function_name}-jobs-queue"
  jobs_dead_letter_queue_name = "${var.function_name}-jobs-dead-letter"

  # AWS recommends a visibility timeout of six times the function's timeout for a queue feeding
  # Lambda, and refuses an event source mapping whose queue's is below the function's timeout.
  # Both queues feed the worker. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
  jobs_visibility_timeout_seconds = 6 * var.worker_timeout

  # CompleteMultipartUpload "can take several minutes", so the worker stops generating when
  # min(120 s, 15 % of its timeout) remain (src/randfile, COMPLETE_RESERVE_SECONDS); the rest is
  # the time a job has to write. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
  complete_reserve_seconds = min(120, 0.15 * var.worker_timeout)

  # The worker's throughput that docs/performance.md measures ("upload of 64 MiB": the writer
  # generating and uploading, 86 MB/s, with the moto server on the same two cores), and the memory
  # at which Lambda gives a function one full vCPU
  # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). max_job_bytes is
  # checked against them (variables.tf).
  worker_bytes_per_second       = 86000000
  one_vcpu_memory_size          = 1769
  worker_write_bytes_per_second = local.worker_bytes_per_second * min(1, var.worker_memory_size / local.one_vcpu_memory_size)
  max_writable_job_bytes        = floor((var.worker_timeout - local.complete_reserve_seconds) * local.worker_write_bytes_per_second)

  # Both functions read the same configuration (src/randfile/config.py): the API function to
  # accept and look up jobs, the worker to run them.
  function_environment = merge(
    {
      RANDFILE_BUCKET                    = var.bucket_name
      RANDFILE_BUCKET_OWNER              = var.bucket_owner
      RANDFILE_KEY_PREFIX                = var.key_prefix
      RANDFILE_MAX_SYNC_BYTES            = tostring(local.max_sync_bytes)
      RANDFILE_JOBS_TABLE                = local.jobs_table_name
      RANDFILE_JOB_QUEUE_URL             = aws_sqs_queue.jobs.url
      RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN = aws_sqs_queue.jobs_dead_letter.arn
      RANDFILE_MAX_JOB_BYTES             = tostring(var.max_job_bytes)
      RANDFILE_JOB_RETENTION_DAYS        = tostring(var.job_retention_days)
      RANDFILE_MAX_DATASET_FILES         = tostring(var.max_dataset_files)
      RANDFILE_MAX_DATASET_BYTES         = tostring(var.max_dataset_bytes)
    },
    var.environment == null ? {} : { RANDFILE_ENVIRONMENT = var.environment },
  )

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
    variables = local.function_environment
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

# --- Worker: the asynchronous jobs --------------------------------------------------------------

# The same package and role as the API function (the bucket policy admits one writer), another
# handler and Lambda's longest timeout. The trade-off is in the README.
resource "aws_lambda_function" "worker" {
  #checkov:skip=CKV_AWS_116:The worker is invoked by SQS event source mappings, never asynchronously: its failed messages go to the jobs queue's dead-letter queue (aws_sqs_queue.jobs_dead_letter), which a function-level dead-letter queue cannot serve.
  #checkov:skip=CKV_AWS_117:Reaches only S3's and DynamoDB's public regional endpoints; a VPC would add NAT or endpoint cost and no isolation.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (bucket, table and function names, size caps); Lambda encrypts it at rest with an AWS key.
  #checkov:skip=CKV_AWS_272:The package is built reproducibly by this repository's pipeline from reviewed source; code signing is out of scope for this service.
  #checkov:skip=CKV_AWS_115:The jobs queue's event source mapping caps the worker (maximum_concurrency = worker_max_concurrency); AWS advises against a reservation below that cap, and a new account (quota 10) cannot reserve any.
  function_name    = local.worker_name
  description      = "Runs asynchronous jobs of ${var.function_name}: large files of random bytes to s3://${var.bucket_name}/${var.key_prefix}"
  role             = aws_iam_role.this.arn
  runtime          = local.runtime
  architectures    = ["arm64"]
  handler          = "randfile.worker.handler"
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  memory_size      = var.worker_memory_size
  timeout          = var.worker_timeout
  tags             = var.tags

  environment {
    variables = local.function_environment
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.worker, aws_iam_role_policy.this]
}

# --- Jobs queue: the worker's durable input -----------------------------------------------------

# POST /files sends one message per job; the worker's event source mapping receives it. A message
# received job_max_receive_count times without being deleted (the attempts failed or were killed)
# moves to the dead-letter queue, whose own mapping ends the job `failed` (jobs-design).
resource "aws_sqs_queue" "jobs" {
  name                       = local.jobs_queue_name
  visibility_timeout_seconds = local.jobs_visibility_timeout_seconds
  # 4 days, SQS's default: far beyond the bound a job ends within (docs/operations.md), so only an
  # event source mapping disabled for days lets a message expire here.
  message_retention_seconds = 345600
  # SQS-managed keys: the messages hold job ids only, and no key policy has to admit Lambda's
  # poller or the API function.
  sqs_managed_sse_enabled = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.jobs_dead_letter.arn
    maxReceiveCount     = var.job_max_receive_count
  })
  tags = var.tags
}

resource "aws_sqs_queue" "jobs_dead_letter" {
  name                       = local.jobs_dead_letter_queue_name
  visibility_timeout_seconds = local.jobs_visibility_timeout_seconds
  # 14 days, SQS's longest. A standard queue keeps a message's first enqueue time when it moves to
  # the dead-letter queue, so AWS advises a dead-letter retention longer than the source's: an
  # operator has ten days to redrive what the dead-letter handler could not end.
  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# Only the jobs queue may use it as its dead-letter queue.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
resource "aws_sqs_queue_redrive_allow_policy" "jobs_dead_letter" {
  queue_url = aws_sqs_queue.jobs_dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}

# The worker's two inputs. From the jobs queue: one job per invocation, at most
# worker_max_concurrency at once, so the cap leaves the rest of the account's concurrency to the
# API function. From the dead-letter queue: the same worker ends the jobs whose messages reached
# it (it tells them apart by eventSourceARN, RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN), up to 10 a run,
# 2 runs at once, AWS's least maximum concurrency. ReportBatchItemFailures lets a delivery that
# finds another one's live lease hand its message back without an error.
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
resource "aws_lambda_event_source_mapping" "worker" {
  for_each = {
    jobs             = { queue_arn = aws_sqs_queue.jobs.arn, batch_size = 1, maximum_concurrency = var.worker_max_concurrency }
    jobs_dead_letter = { queue_arn = aws_sqs_queue.jobs_dead_letter.arn, batch_size = 10, maximum_concurrency = 2 }
  }

  event_source_arn        = each.value.queue_arn
  function_name           = aws_lambda_function.worker.arn
  batch_size              = each.value.batch_size
  function_response_types = ["ReportBatchItemFailures"]
  tags                    = var.tags

  scaling_config {
    maximum_concurrency = each.value.maximum_concurrency
  }

  # Lambda checks at creation that the execution role may receive from the queue.
  depends_on = [aws_iam_role_policy.this]
}

# Job records and Powertools' idempotency records; both expire through the `expiration` TTL.
resource "aws_dynamodb_table" "jobs" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb): job records hold sizes, seeds, keys and error messages, no secrets, and a customer managed key would need a key policy for every role that deploys or reads the table.
  name         = local.jobs_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  tags         = var.tags

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.jobs_table_point_in_time_recovery
  }

  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
  deletion_protection_enabled = var.jobs_table_deletion_protection

  # Without a key ARN, the AWS managed key: its key policy lets the account's principals use it
  # through DynamoDB, so no role here needs a KMS permission.
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
  server_side_encryption {
    enabled = true
  }
}
