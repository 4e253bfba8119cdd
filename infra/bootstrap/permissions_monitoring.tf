# Permission statements, no roles (the roles are in roles_workload.tf): what the CI roles need for
# infra/modules/monitoring (alarms, their topic and key, the dashboard, the saved queries): the
# statement lists monitoring-read and monitoring-apply (policy_statements.tf renders them), merged
# into the workload roles' policies. Names are the stack's, from infra/modules/_names
# (module.stack_names).

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
  # sid => a statement held to aws:<tag>/environment = this environment, listed by
  # local.environment_tagged_statements (environment_fence.tf).
  monitoring_tag_scoped = {
    apply = {
      CreateTaggedAlarmKey = { tag = "RequestTag", actions = ["kms:CreateKey"], resources = ["*"] }
      TagAlarmKeyOnCreate  = { tag = "RequestTag", actions = ["kms:TagResource"], resources = ["arn:${local.partition}:kms:${var.region}:${var.workload_account_id}:key/*"] }
    }
  }

  # SNS's subscription actions and the Logs Insights query definition APIs name no resource type:
  # a policy must grant them on "*", so each only where the account pair holds one environment
  # (its feature in var.unscoped_permissions), sid => feature and actions.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  monitoring_unscoped = {
    read = {
      ReadAlarmSubscriptions = { feature = "sns-subscriptions", actions = ["sns:GetSubscriptionAttributes"] }
      ListQueryDefinitions   = { feature = "logs-query-definitions", actions = ["logs:DescribeQueryDefinitions"] }
    }
    apply = {
      ManageAlarmSubscriptions = { feature = "sns-subscriptions", actions = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"] }
      ManageQueryDefinitions   = { feature = "logs-query-definitions", actions = ["logs:DeleteQueryDefinition", "logs:PutQueryDefinition"] }
    }
  }
  monitoring_unscoped_statements = {
    for mode, statements in local.monitoring_unscoped : mode => [
      for sid, unscoped in statements : { sid = sid, actions = unscoped.actions, resources = ["*"] }
      if contains(var.unscoped_permissions, unscoped.feature)
    ]
  }

  monitoring_statements = {
    for env in var.environments : env => {
      monitoring-read = concat([
        {
          sid = "ReadAlarmsAndDashboard"
          actions = [
            "cloudwatch:DescribeAlarms",
            "cloudwatch:GetDashboard",
            "cloudwatch:ListTagsForResource",
          ]
          resources = [local.monitoring_arn[env].alarms, local.monitoring_arn[env].dashboard]
        },
        {
          sid = "ReadAlarmTopic"
          actions = [
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
          ]
          resources = [local.monitoring_arn[env].topic]
        },
        # The key's settings are read through its key policy, which names the plan role
        # (stack_inputs.alarm_kms_key_reader_arns; infra/modules/monitoring explains why not by tag).

        # ListAliases supports no resource-level permission; it lists names only.
        {
          sid       = "ListAliases"
          actions   = ["kms:ListAliases"]
          resources = ["*"]
        },
      ], local.monitoring_unscoped_statements.read)

      monitoring-apply = concat([
        {
          sid = "ManageAlarmsAndDashboard"
          actions = [
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:PutDashboard",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
          ]
          resources = [local.monitoring_arn[env].alarms, local.monitoring_arn[env].dashboard]
        },
        {
          sid = "ManageAlarmTopic"
          actions = [
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:UntagResource",
          ]
          resources = [local.monitoring_arn[env].topic]
        },
        # The alarm key is created with this environment's tag: local.monitoring_tag_scoped.

        # An alias is authorised on the alias (here) and on the key it points to (its key policy).
        # https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
        {
          sid       = "ManageAlarmKeyAlias"
          actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
          resources = [local.monitoring_arn[env].key_alias]
        },
      ], local.monitoring_unscoped_statements.apply)
    }
  }
}
