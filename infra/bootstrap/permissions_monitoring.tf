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
    }
  }

  # A new key has no ARN yet, so creating one cannot be scoped to a key: it is allowed only with
  # this environment's tag in the request, and tagging at creation is authorised as
  # kms:TagResource too. Everything after CreateKey is granted by the key's policy, which names
  # this role (stack_inputs.alarm_kms_key_administrator_arns): a tag can take minutes to count in
  # authorization, the key policy counts at once.
  # https://docs.aws.amazon.com/kms/latest/developerguide/abac.html#abac-eventual-consistency
  # https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html
  # sid => a statement held to aws:<tag>/environment = this environment, rendered by
  # data.aws_iam_policy_document.environment_tagged (environment_fence.tf).
  monitoring_tag_scoped = {
    apply = {
      CreateTaggedAlarmKey = { tag = "RequestTag", actions = ["kms:CreateKey"], resources = ["*"] }
      TagAlarmKeyOnCreate  = { tag = "RequestTag", actions = ["kms:TagResource"], resources = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"] }
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

  # The key's settings are read through its key policy, which names the plan role
  # (stack_inputs.alarm_kms_key_reader_arns; infra/modules/monitoring explains why not by tag).

  # ListAliases supports no resource-level permission; it lists names only.
  statement {
    sid       = "ListAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }

  # SNS's subscription actions and the Logs Insights query definition APIs name no resource type:
  # a policy must grant them on "*", so each only where the account pair holds one environment
  # (its feature in var.unscoped_permissions).
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  dynamic "statement" {
    for_each = {
      for sid, unscoped in {
        ReadAlarmSubscriptions = { feature = "sns-subscriptions", actions = ["sns:GetSubscriptionAttributes"] }
        ListQueryDefinitions   = { feature = "logs-query-definitions", actions = ["logs:DescribeQueryDefinitions"] }
      } : sid => unscoped.actions if contains(var.unscoped_permissions, unscoped.feature)
    }

    content {
      sid       = statement.key
      actions   = statement.value
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

  # The alarm key is created with this environment's tag: local.monitoring_tag_scoped.

  # An alias is authorised on the alias (here) and on the key it points to (its key policy).
  # https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
  statement {
    sid       = "ManageAlarmKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [local.monitoring_arn[each.key].key_alias]
  }

  # As in the read document: no resource type, so "*" only, per feature in var.unscoped_permissions.
  dynamic "statement" {
    for_each = {
      for sid, unscoped in {
        ManageAlarmSubscriptions = { feature = "sns-subscriptions", actions = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"] }
        ManageQueryDefinitions   = { feature = "logs-query-definitions", actions = ["logs:DeleteQueryDefinition", "logs:PutQueryDefinition"] }
      } : sid => unscoped.actions if contains(var.unscoped_permissions, unscoped.feature)
    }

    content {
      sid       = statement.key
      actions   = statement.value
      resources = ["*"]
    }
  }
}
