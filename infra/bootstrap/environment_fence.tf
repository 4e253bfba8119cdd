# The environment tag in the CI roles' policies: the allow statements held to it
# (environment_tagged, at the end), and what keeps one environment's CI roles off another
# environment's resources when both share an account pair, beyond the name scoping
# ("<name_prefix>-<env>-*") and those tag conditions: explicit denies that no allow statement,
# present or future, can outweigh. Merged into every CI role's policy in both accounts (workload_read, data_read).
#
# A resource tagged with another environment is out of reach whatever the action, so an
# environment cannot re-tag the other's resource as its own and then use its tag-based
# permissions; no request may set another environment's tag either. Both denies test that the key
# is present first: a negated operator is true when its key is absent.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html

data "aws_iam_policy_document" "environment_fence" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid       = "DenyOtherEnvironmentsResources"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/environment"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "DenyOtherEnvironmentsTags"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/environment"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }
}

# The allow statements held to this environment's tag, one document per environment and policy
# they are merged into (workload_read, workload_apply, data_apply): what is named by a generated
# id is created with the environment's tag in the request (aws:RequestTag) and read, changed and
# deleted only while it carries it (aws:ResourceTag). Each topic lists its statements beside its
# other permissions: local.workload_tag_scoped (roles_workload.tf), local.jobs_tag_scoped
# (permissions_jobs.tf), local.monitoring_tag_scoped (permissions_monitoring.tf) and
# local.data_tag_scoped (roles_data.tf), each sid => { tag, actions, resources }.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
data "aws_iam_policy_document" "environment_tagged" {
  for_each = merge([
    for env in var.environments : {
      "${env}/workload-read"  = { env = env, statements = merge(local.workload_tag_scoped.read, local.jobs_tag_scoped.read) }
      "${env}/workload-apply" = { env = env, statements = merge(local.workload_tag_scoped.apply, local.jobs_tag_scoped.apply, local.monitoring_tag_scoped.apply) }
      "${env}/data-apply"     = { env = env, statements = local.data_tag_scoped.apply }
    }
  ]...)
  provider = aws.workload

  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources

      condition {
        test     = "StringEquals"
        variable = "aws:${statement.value.tag}/environment"
        values   = [each.value.env]
      }
    }
  }
}
