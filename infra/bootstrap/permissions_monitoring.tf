# Permission statements, no roles (the roles are in roles_workload.tf): what the CI roles need for
# infra/modules/monitoring (alarms, their topic and key, the dashboard, the saved queries), one
# statement list per role kind, merged into workload_read and workload_apply through
# source_policy_documents. Names are the stack's, from infra/modules/_names (module.stack_names).

locals {
  monitoring_arn = {
    for env in var.environments : env => {
      topic     = "arn:${local.partition}:sns:${var.region}:${var.workload_account_id}:${module.stack_names[env].alarm_topic}"
      alarms    = "arn:${local.partition}:cloudwatch:${var.region}:${var.workload_account_id}:alarm:${module.stack_names[env].alarms_pattern}"
      dashboard = "arn:${local.partition}:cloudwatch::${var.workload_account_id}:dashboard/${module.stack_names[env].dashboard}"
      key_alias = "arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:${module.stack_names[env].alarm_key_alias}"
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
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
    ]
    resources = [local.monitoring_arn[each.key].topic]
  }

  # SNS's subscription actions name no resource type: a policy must grant them on "*", so only
  # where the account pair holds one environment (var.unscoped_permissions).
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
  dynamic "statement" {
    for_each = contains(var.unscoped_permissions, "sns-subscriptions") ? [true] : []

    content {
      sid       = "ReadAlarmSubscriptions"
      actions   = ["sns:GetSubscriptionAttributes"]
      resources = ["*"]
    }
  }

  # The key's settings are read through its key policy, which names the plan role
  # (stack_inputs.alarm_kms_key_reader_arns; infra/modules/monitoring explains why not by tag).

  # ListAliases supports no resource-level permission; it lists names only.
  statement {
    sid       = "ListAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }

  # Nor do the Logs Insights query definition APIs: only where the account pair holds one
  # environment (var.unscoped_permissions).
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  dynamic "statement" {
    for_each = contains(var.unscoped_permissions, "logs-query-definitions") ? [true] : []

    content {
      sid       = "ListQueryDefinitions"
      actions   = ["logs:DescribeQueryDefinitions"]
      resources = ["*"]
    }
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
      "sns:SetTopicAttributes",
      "sns:Subscribe",
      "sns:TagResource",
      "sns:UntagResource",
    ]
    resources = [local.monitoring_arn[each.key].topic]
  }

  # As GetSubscriptionAttributes (the read statement): no resource type, so "*" only.
  dynamic "statement" {
    for_each = contains(var.unscoped_permissions, "sns-subscriptions") ? [true] : []

    content {
      sid       = "ManageAlarmSubscriptions"
      actions   = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
      resources = ["*"]
    }
  }

  # A new key has no ARN yet, so creating one cannot be scoped to a key: it is allowed only with
  # this environment's tag in the request, and tagging at creation is authorised as
  # kms:TagResource too. Everything after CreateKey is granted by the key's policy, which names
  # this role (stack_inputs.alarm_kms_key_administrator_arns): a tag can take minutes to count in
  # authorization, the key policy counts at once.
  # https://docs.aws.amazon.com/kms/latest/developerguide/abac.html#abac-eventual-consistency
  # https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html
  statement {
    sid       = "CreateTaggedAlarmKey"
    actions   = ["kms:CreateKey"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "TagAlarmKeyOnCreate"
    actions   = ["kms:TagResource"]
    resources = [local.monitoring_arn[each.key].any_key]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  # An alias is authorised on the alias (here) and on the key it points to (its key policy).
  # https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
  statement {
    sid       = "ManageAlarmKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [local.monitoring_arn[each.key].key_alias]
  }

  dynamic "statement" {
    for_each = contains(var.unscoped_permissions, "logs-query-definitions") ? [true] : []

    content {
      sid       = "ManageQueryDefinitions"
      actions   = ["logs:DeleteQueryDefinition", "logs:PutQueryDefinition"]
      resources = ["*"]
    }
  }

}
