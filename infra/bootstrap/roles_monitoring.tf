# What the CI roles need for infra/modules/monitoring (alarms, their topic and key, the dashboard,
# the saved queries), one statement list per role kind, merged into workload_read and
# workload_apply through source_policy_documents. Names are the stack's: <name_prefix>-<env>...

locals {
  monitoring_arn = {
    for env in var.environments : env => {
      topic     = "arn:${local.partition}:sns:${var.region}:${var.workload_account_id}:${var.name_prefix}-${env}-alarms"
      alarms    = "arn:${local.partition}:cloudwatch:${var.region}:${var.workload_account_id}:alarm:${var.name_prefix}-${env}-*"
      dashboard = "arn:${local.partition}:cloudwatch::${var.workload_account_id}:dashboard/${var.name_prefix}-${env}"
      key_alias = "arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:alias/${var.name_prefix}-${env}-alarms"
      any_key   = "arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"
    }
  }
}

data "aws_iam_policy_document" "workload_monitoring_read" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid = "ReadAlarmsAndDashboard"
    actions = [
      "cloudwatch:DescribeAlarms",
      "cloudwatch:GetDashboard",
      "cloudwatch:ListTagsForResource",
    ]
    resources = [local.monitoring_arn[each.key].alarms, local.monitoring_arn[each.key].dashboard]
  }

  statement {
    sid = "ReadAlarmTopic"
    actions = [
      "sns:GetSubscriptionAttributes",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
    ]
    resources = [local.monitoring_arn[each.key].topic, "${local.monitoring_arn[each.key].topic}:*"]
  }

  # KMS names keys by generated ids: this environment's key is told by its tag (the stack's
  # default_tags). https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
  statement {
    sid       = "ReadAlarmKey"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = [local.monitoring_arn[each.key].any_key]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  # ListAliases and the Logs Insights query definition APIs support no resource-level permissions.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  statement {
    sid       = "ListAliasesAndQueries"
    actions   = ["kms:ListAliases", "logs:DescribeQueryDefinitions"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "workload_monitoring_apply" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid = "ManageAlarmsAndDashboard"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DeleteDashboards",
      "cloudwatch:PutDashboard",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = [local.monitoring_arn[each.key].alarms, local.monitoring_arn[each.key].dashboard]
  }

  statement {
    sid = "ManageAlarmTopic"
    actions = [
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:SetSubscriptionAttributes",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
      "sns:TagResource",
      "sns:Unsubscribe",
      "sns:UntagResource",
    ]
    resources = [local.monitoring_arn[each.key].topic, "${local.monitoring_arn[each.key].topic}:*"]
  }

  # A key is created only with this environment's tag; tagging at creation is authorised as
  # kms:TagResource on the new key, which has no tag yet, hence the request-tag condition.
  statement {
    sid       = "CreateTaggedAlarmKey"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  # An alias is authorised on the alias and on the key it points to.
  # https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
  statement {
    sid = "ManageAlarmKey"
    actions = [
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:EnableKeyRotation",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = [local.monitoring_arn[each.key].any_key]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "ManageAlarmKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [local.monitoring_arn[each.key].key_alias]
  }

  statement {
    sid       = "ManageQueryDefinitions"
    actions   = ["logs:DeleteQueryDefinition", "logs:PutQueryDefinition"]
    resources = ["*"]
  }
}
