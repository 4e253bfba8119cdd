module "kms_key_policy" {
  source = "../_kms-key-policy"

  account_id         = local.account_id
  partition          = local.partition
  administrator_arns = var.kms_key_administrator_arns
  reader_arns        = var.kms_key_reader_arns
}

data "aws_iam_policy_document" "alarm_key" {
  # The account root, the key administrators (the CI apply role) and readers (the plan roles): the
  # statements both key policies share. The CI roles manage and read this key through this policy,
  # not through tags in their identity policies (../_kms-key-policy says why). Then CloudWatch's
  # use of the key for the alarms, the statement the topic's policy shares.
  source_policy_documents = [
    module.kms_key_policy.json,
    data.aws_iam_policy_document.cloudwatch_alarms_publish["key"].json, # topic.tf
  ]
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
