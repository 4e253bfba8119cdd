# What the CI roles need for the asynchronous jobs of infra/modules/function (the worker function
# and its log group, its event-invoke configuration, the jobs table, the failed-jobs queue), and
# what the roles the stack creates may at most do with them (the boundary). Merged into
# workload_read, workload_apply and stack_role_boundary through source_policy_documents. Names
# are the stack's: <name_prefix>-<env>-worker, -jobs, -jobs-failed.

locals {
  jobs_arn = {
    for env in var.environments : env => {
      worker = "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${var.name_prefix}-${env}-worker"
      table  = "arn:${local.partition}:dynamodb:${var.region}:${var.workload_account_id}:table/${var.name_prefix}-${env}-jobs"
      queue  = "arn:${local.partition}:sqs:${var.region}:${var.workload_account_id}:${var.name_prefix}-${env}-jobs-failed"
    }
  }
}

data "aws_iam_policy_document" "workload_jobs_read" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid = "ReadJobsTable"
    actions = [
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
    ]
    resources = [local.jobs_arn[each.key].table]
  }

  statement {
    sid       = "ReadFailedJobsQueue"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    resources = [local.jobs_arn[each.key].queue]
  }

  # The provider reads the table's key through its AWS managed alias (DescribeKey on
  # alias/aws/dynamodb); the key's id differs per account, so it is named by the alias the request
  # uses (kms:RequestAlias), not by its ARN.
  # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-request-alias
  statement {
    sid       = "ReadJobsTableKey"
    actions   = ["kms:DescribeKey"]
    resources = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:RequestAlias"
      values   = ["alias/aws/dynamodb"]
    }
  }

  statement {
    sid       = "ReadWorkerRetries"
    actions   = ["lambda:GetFunctionEventInvokeConfig"]
    resources = [local.jobs_arn[each.key].worker]
  }
}

data "aws_iam_policy_document" "workload_jobs_apply" {
  for_each = toset(var.environments)
  provider = aws.workload

  # The table's SSE uses the AWS managed key aws/dynamodb, whose key policy lets the account's
  # principals use it through DynamoDB: no KMS permission here.
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
  # Tags given at CreateTable are authorised as dynamodb:TagResource too.
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.Operations.html
  statement {
    sid = "ManageJobsTable"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [local.jobs_arn[each.key].table]
  }

  # Tags given at CreateQueue need sqs:TagQueue besides sqs:CreateQueue.
  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  statement {
    sid = "ManageFailedJobsQueue"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = [local.jobs_arn[each.key].queue]
  }

  statement {
    sid       = "ConfigureWorkerRetries"
    actions   = ["lambda:UpdateFunctionEventInvokeConfig"]
    resources = [local.jobs_arn[each.key].worker]
  }
}

# The function role's job permissions, capped by name: the item actions on this environment's
# table, the worker's invocation, and the send Lambda makes to the on-failure queue with the
# execution role (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
data "aws_iam_policy_document" "stack_role_jobs_boundary" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid       = "KeepJobs"
    actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [local.jobs_arn[each.key].table]
  }

  statement {
    sid       = "StartWorker"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.jobs_arn[each.key].worker]
  }

  statement {
    sid       = "RecordFailedJobs"
    actions   = ["sqs:SendMessage"]
    resources = [local.jobs_arn[each.key].queue]
  }

  # DynamoDB uses the table's key (aws/dynamodb) on the caller's behalf; its key policy grants the
  # account's principals through DynamoDB only. Allowed within the boundary on the same terms, so
  # a boundary never stands between the function and its own table.
  statement {
    sid       = "UseJobsTableKeyThroughDynamoDB"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }
}
