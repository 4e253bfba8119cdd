# Roles in the data account, assumable only by the matching workload-account role: the workload
# plan role reaches only the data plan role, the workload apply role only the data apply role.

locals {
  data_arn = {
    for env in var.environments : env => {
      buckets = [for name in local.stack_names[env] : "arn:${local.partition}:s3:::${name}"]
      objects = [for name in local.stack_names[env] : "arn:${local.partition}:s3:::${name}/*"]
      aliases = [for name in local.stack_names[env] : "arn:${local.partition}:kms:${var.region}:${var.data_account_id}:alias/${name}"]
      # KMS keys are named by random ids; the stack's default tags (project, environment) are
      # what identifies this environment's key.
      keys = "arn:${local.partition}:kms:${var.region}:${var.data_account_id}:key/*"
    }
  }
}

data "aws_iam_policy_document" "data_trust" {
  for_each = {
    for pair in setproduct(var.environments, ["plan", "apply"]) : "${pair[0]}-${pair[1]}" => {
      env  = pair[0]
      mode = pair[1]
    }
  }
  provider = aws.data

  statement {
    sid     = "WorkloadRole"
    actions = ["sts:AssumeRole"]

    # The account as principal plus an exact aws:PrincipalArn keeps the trust valid if the
    # workload role is re-created (a role ARN principal would be frozen to the old role's id).
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.workload_account_id}:root"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${var.workload_account_id}:role/${local.role_names[each.value.env][each.value.mode]}"]
    }
  }
}

data "aws_iam_policy_document" "data_read" {
  for_each = toset(var.environments)
  provider = aws.data

  statement {
    sid = "ReadBucket"
    actions = [
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetIntelligentTieringConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
    ]
    resources = local.data_arn[each.key].buckets
  }

  statement {
    sid       = "ReadKeys"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = [local.data_arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  statement {
    # ListAliases is authorised on the account, not on an alias.
    sid       = "ListAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "data_apply" {
  for_each = toset(var.environments)
  provider = aws.data

  source_policy_documents = [data.aws_iam_policy_document.data_read[each.key].json]

  statement {
    sid = "ManageBucket"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:PutAccelerateConfiguration",
      "s3:PutBucket*",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = local.data_arn[each.key].buckets
  }

  statement {
    # force_destroy (on for throw-away environments) empties the bucket before deleting it.
    sid       = "EmptyBucketOnDestroy"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"]
    resources = concat(local.data_arn[each.key].buckets, local.data_arn[each.key].objects)
  }

  statement {
    # A new key has no id yet: creation is allowed only with this environment's tag on it.
    sid       = "CreateTaggedKeys"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid = "ManageTaggedKeys"
    actions = [
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:EnableKeyRotation",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = [local.data_arn[each.key].keys]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  statement {
    # Alias operations are authorised on the alias as well as on the key.
    sid       = "ManageAliases"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = local.data_arn[each.key].aliases
  }
}

resource "aws_iam_role" "data_plan" {
  for_each = toset(var.environments)
  provider = aws.data

  name                 = local.role_names[each.key].plan
  description          = "terraform plan of ${each.key}, assumed from the workload plan role."
  assume_role_policy   = data.aws_iam_policy_document.data_trust["${each.key}-plan"].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "data_plan" {
  for_each = toset(var.environments)
  provider = aws.data

  name   = "terraform-plan"
  role   = aws_iam_role.data_plan[each.key].id
  policy = data.aws_iam_policy_document.data_read[each.key].json
}

resource "aws_iam_role" "data_apply" {
  for_each = toset(var.environments)
  provider = aws.data

  name                 = local.role_names[each.key].apply
  description          = "terraform apply of ${each.key}, assumed from the workload apply role."
  assume_role_policy   = data.aws_iam_policy_document.data_trust["${each.key}-apply"].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "data_apply" {
  for_each = toset(var.environments)
  provider = aws.data

  name   = "terraform-apply"
  role   = aws_iam_role.data_apply[each.key].id
  policy = data.aws_iam_policy_document.data_apply[each.key].json
}
