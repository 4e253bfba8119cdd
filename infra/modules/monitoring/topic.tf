# CloudWatch may publish to the topic and use its key for this environment's alarms only: one
# statement for both documents, the topic's policy and the key policy's CloudWatch statement.
# The topic's policy stands in place of SNS's default one, which lets every principal of the
# account use the topic (Principal "*" with an AWS:SourceOwner condition); the account's own
# principals use the topic through their IAM policies as usual.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
# CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets
# cloudwatch.amazonaws.com use it; the AWS managed aws/sns key's policy cannot be changed, so an
# alarm's notification to a topic under it is dropped.
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
data "aws_iam_policy_document" "cloudwatch_alarms_publish" {
  for_each = {
    topic = { actions = ["sns:Publish"], resources = [local.alarm_topic_arn] }
    # In a key policy, Resource "*" is the key itself.
    key = { actions = ["kms:Decrypt", "kms:GenerateDataKey*"], resources = ["*"] }
  }

  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only; key policies cannot name a narrower resource.
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = each.value.actions
    resources = each.value.resources

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

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
  policy            = data.aws_iam_policy_document.cloudwatch_alarms_publish["topic"].json
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = { for s in var.alarm_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
