# What keeps one environment's CI roles off another environment's resources when both share an
# account pair, beyond the name scoping ("<name_prefix>-<env>-*") and the environment tag
# conditions of the allow statements: explicit denies that no allow statement, present or future,
# can outweigh. Merged into every CI role's policy in both accounts (workload_read, data_read).
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
