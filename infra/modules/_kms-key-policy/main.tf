# The statements every randfile key policy starts with, after AWS's default key policy
# (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): the account
# root with every action, so the key never becomes unmanageable and IAM policies can grant access
# (#key-policy-default-allow-root-enable-iam); the key administrators (#key-policy-default-allow-administrators);
# and read-only roles. Each key's module adds its own service statements (S3, CloudWatch) to this
# document through source_policy_documents.
#
# The administrators' actions are the page's list written out for what a key Terraform manages
# needs: kms:Create*, Describe*, Enable*, List*, Put*, Update*, Disable*, Get*, Delete*,
# TagResource, UntagResource, ScheduleKeyDeletion and CancelKeyDeletion, each narrowed to the
# actions on a symmetric key without grants or imported key material (so no Revoke*, CreateGrant,
# ImportKeyMaterial, GetParametersForImport, RotateKeyOnDemand). A role ARN as principal is in
# force from CreateKey on, while tag-based access "can take up to five minutes"
# (https://docs.aws.amazon.com/kms/latest/developerguide/abac.html#abac-eventual-consistency),
# and naming the apply role passes CreateKey's lockout check, which requires the caller to be
# allowed kms:PutKeyPolicy by the new policy (#prevent-unmanageable-key).

locals {
  administrator_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
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

  # What refreshing an aws_kms_key reads.
  reader_actions = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]

  # The roles named in the policy, by statement (a map's keys come in order: administrators first).
  roles = {
    KeyAdministrators = { arns = var.administrator_arns, actions = local.administrator_actions }
    KeyReaders        = { arns = var.reader_arns, actions = local.reader_actions }
  }

  # A key policy's Resource "*" is the key itself.
  statements = concat(
    [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }],
    [for sid, role in local.roles : {
      Sid    = sid
      Effect = "Allow"
      # One principal as a string, as aws_iam_policy_document writes it (the policies read as they
      # did before this module); jsondecode lets the two branches differ in type.
      Principal = { AWS = jsondecode(length(role.arns) == 1 ? jsonencode(role.arns[0]) : jsonencode(role.arns)) }
      Action    = role.actions
      Resource  = "*"
    } if length(role.arns) > 0],
  )
}
