data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only; key policies cannot name a narrower resource.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The CI roles manage and read this key through this policy, not through tags in their identity
  # policies: a role ARN as principal is in force from CreateKey on, while a new key's tags "can
  # take up to five minutes" to count in authorization, which would fail the rotation and alias
  # calls Terraform makes right after creating it. Naming the apply role also passes CreateKey's
  # lockout check (the caller must be allowed kms:PutKeyPolicy by the new policy).
  # https://docs.aws.amazon.com/kms/latest/developerguide/abac.html#abac-eventual-consistency
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key
  dynamic "statement" {
    for_each = length(var.kms_key_administrator_arns) > 0 ? [var.kms_key_administrator_arns] : []

    content {
      sid = "KeyAdministrators"
      actions = [
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_reader_arns) > 0 ? [var.kms_key_reader_arns] : []

    content {
      sid       = "KeyReaders"
      actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }

  # CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets
  # cloudwatch.amazonaws.com use it; the AWS managed aws/sns key's policy cannot be changed, so an
  # alarm's notification to a topic under it is dropped.
  # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description         = "Encrypts ${var.name}'s alarm topic; CloudWatch alarms may use it to publish."
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarm_key.json
  tags                = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}
