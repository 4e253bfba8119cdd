# Permission statements, no roles (the roles are in roles_workload.tf): what the CI roles need for
# the asynchronous jobs of infra/modules/function (the worker function and its log group, the jobs
# table, the jobs queue and its dead-letter queue, the worker's two event source mappings), and
# what the roles the stack creates may at most do with them (the boundary): the statement lists
# jobs-read, jobs-apply and jobs-boundary (policy_statements.tf renders them), merged into the
# workload roles' policies and stack_role_boundary. Names are the stack's, from
# infra/modules/_names (module.stack_names, main.tf).

locals {
  jobs_arn = {
    for env in var.environments : env => {
      worker = "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${module.stack_names[env].worker_function}"
      table  = "arn:${local.partition}:dynamodb:${var.region}:${var.workload_account_id}:table/${module.stack_names[env].jobs_table}"
      queues = [
        for queue in [module.stack_names[env].jobs_queue, module.stack_names[env].jobs_dead_letter_queue] : "arn:${local.partition}:sqs:${var.region}:${var.workload_account_id}:${queue}"
      ]
      # The failed-jobs queue of the worker's former Event invoke: the first apply of the queue
      # version refreshes and deletes it (and the event-invoke configuration), so the roles keep
      # reading and deleting it until every environment has applied that version.
      former_queue = "arn:${local.partition}:sqs:${var.region}:${var.workload_account_id}:${module.stack_names[env].retired_jobs_failed_queue}"
    }
  }

  # Lambda names an event source mapping by a generated UUID: its ARN cannot name the
  # environment. Each statement on mappings is held to this environment's worker by the condition
  # key lambda:FunctionArn, which Create, Get, Update and Delete support; tagging and ListTags
  # support only tag conditions, and are held to this environment's tag.
  # https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
  event_source_mappings_arn = "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:event-source-mapping:*"

  # Statements held to aws:<tag>/environment = this environment
  # (local.environment_tagged_statements, environment_fence.tf). The mappings carry the stack's default tags:
  # tags given at creation are authorised as lambda:TagResource too
  # (https://docs.aws.amazon.com/lambda/latest/dg/tags-esm.html), with this environment's tag in the
  # request; later tag changes only on mappings that already carry it.
  jobs_tag_scoped = {
    read = {
      ReadOwnEventSourceMappingTags = { tag = "ResourceTag", actions = ["lambda:ListTags"], resources = [local.event_source_mappings_arn] }
    }
    apply = {
      TagNewEventSourceMappings = { tag = "RequestTag", actions = ["lambda:TagResource"], resources = [local.event_source_mappings_arn] }
      TagOwnEventSourceMappings = { tag = "ResourceTag", actions = ["lambda:TagResource", "lambda:UntagResource"], resources = [local.event_source_mappings_arn] }
    }
  }

  jobs_statements = {
    for env in var.environments : env => {
      jobs-read = [
        {
          sid = "ReadJobsTable"
          actions = [
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
          ]
          resources = [local.jobs_arn[env].table]
        },
        {
          sid       = "ReadJobsQueues"
          actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
          resources = concat(local.jobs_arn[env].queues, [local.jobs_arn[env].former_queue])
        },
        {
          sid        = "ReadWorkerEventSourceMappings"
          actions    = ["lambda:GetEventSourceMapping"]
          resources  = [local.event_source_mappings_arn]
          conditions = [{ test = "ArnEquals", variable = "lambda:FunctionArn", values = [local.jobs_arn[env].worker] }]
        },
        # The provider reads the table's key through its AWS managed alias (DescribeKey on
        # alias/aws/dynamodb); the key's id differs per account, so it is named by the alias the
        # request uses (kms:RequestAlias), not by its ARN.
        # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-request-alias
        {
          sid        = "ReadJobsTableKey"
          actions    = ["kms:DescribeKey"]
          resources  = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"]
          conditions = [{ test = "StringEquals", variable = "kms:RequestAlias", values = ["alias/aws/dynamodb"] }]
        },
        # The former event-invoke configuration, refreshed once before it is deleted.
        {
          sid       = "ReadWorkerRetries"
          actions   = ["lambda:GetFunctionEventInvokeConfig"]
          resources = [local.jobs_arn[env].worker]
        },
      ]

      jobs-apply = [
        # The table's SSE uses the AWS managed key aws/dynamodb, whose key policy lets the
        # account's principals use it through DynamoDB: no KMS permission here.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
        # Tags given at CreateTable are authorised as dynamodb:TagResource too.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.Operations.html
        {
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
          resources = [local.jobs_arn[env].table]
        },
        # Tags given at CreateQueue need sqs:TagQueue besides sqs:CreateQueue. The redrive policy
        # and the redrive allow policy are queue attributes (SetQueueAttributes).
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
        {
          sid = "ManageJobsQueues"
          actions = [
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:SetQueueAttributes",
            "sqs:TagQueue",
            "sqs:UntagQueue",
          ]
          resources = local.jobs_arn[env].queues
        },
        {
          sid       = "DeleteFormerFailedJobsQueue"
          actions   = ["sqs:DeleteQueue"]
          resources = [local.jobs_arn[env].former_queue]
        },
        # CreateEventSourceMapping's resource is "*" (a new mapping has no ARN yet); Update's and
        # Delete's the mapping's ARN. The condition holds every one to the worker.
        {
          sid        = "CreateWorkerEventSourceMappings"
          actions    = ["lambda:CreateEventSourceMapping"]
          resources  = ["*"]
          conditions = [{ test = "ArnEquals", variable = "lambda:FunctionArn", values = [local.jobs_arn[env].worker] }]
        },
        {
          sid        = "ChangeWorkerEventSourceMappings"
          actions    = ["lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"]
          resources  = [local.event_source_mappings_arn]
          conditions = [{ test = "ArnEquals", variable = "lambda:FunctionArn", values = [local.jobs_arn[env].worker] }]
        },
        # Tagging the mappings: local.jobs_tag_scoped.
      ]

      # The function role's job permissions, capped by name: the item actions on this
      # environment's table, the API function's send to the jobs queue, the receives Lambda's
      # event source mappings make with the execution role on both queues and the worker's
      # visibility change (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions),
      # and the listing of multipart uploads a retry makes in the data bucket.
      jobs-boundary = [
        {
          sid       = "KeepJobs"
          actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          resources = [local.jobs_arn[env].table]
        },
        {
          sid       = "QueueJobs"
          actions   = ["sqs:SendMessage"]
          resources = [local.jobs_arn[env].queues[0]]
        },
        {
          sid       = "ReceiveJobs"
          actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
          resources = local.jobs_arn[env].queues
        },
        # ListMultipartUploads is authorised on the bucket; the data bucket's policy grants it too.
        {
          sid       = "ListDataBucketUploads"
          actions   = ["s3:ListBucketMultipartUploads"]
          resources = local.data_arn[env].buckets
        },
        # DynamoDB uses the table's key (aws/dynamodb) on the caller's behalf; its key policy
        # grants the account's principals through DynamoDB only. Allowed within the boundary on
        # the same terms, so a boundary never stands between the function and its own table.
        {
          sid        = "UseJobsTableKeyThroughDynamoDB"
          actions    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
          resources  = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.${var.region}.amazonaws.com"] }]
        },
      ]
    }
  }
}
