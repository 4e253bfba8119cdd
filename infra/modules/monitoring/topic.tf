# In place of SNS's default policy, which lets every principal of the account use the topic
# (Principal "*" with an AWS:SourceOwner condition): CloudWatch publishes for this environment's
# alarms, and the account's own principals use the topic through their IAM policies as usual.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.alarm_topic_arn]

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
  policy            = data.aws_iam_policy_document.alarm_topic.json
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = { for s in var.alarm_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
