module "kms_key_policy" {
  source = "../_kms-key-policy"

  account_id         = local.account_id
  partition          = local.partition
  administrator_arns = var.kms_key_administrator_arns
  reader_arns        = var.kms_key_reader_arns
}

data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only, and the account-root statement keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only; key policies cannot name a narrower resource.
  # The account root, the key administrators (the CI apply role) and readers (the plan roles): the
  # statements both key policies share. The CI roles manage and read this key through this policy,
  # not through tags in their identity policies (../_kms-key-policy says why).
  source_policy_documents = [module.kms_key_policy.json]

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
