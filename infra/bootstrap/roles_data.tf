# Roles in the data account, assumable only by the matching workload-account roles: the workload
# plan and pull-request roles reach only the data plan role, the workload apply role only the data
# apply role.

locals {
  data_arn = {
    for env in var.environments : env => {
      buckets = [for name in local.stack_names[env] : "arn:${local.partition}:s3:::${name}"]
      objects = [for name in local.stack_names[env] : "arn:${local.partition}:s3:::${name}/*"]
      aliases = [for name in local.stack_names[env] : "arn:${local.partition}:kms:${var.region}:${var.data_account_id}:alias/${name}"]
    }
  }

  # A new key has no id yet, so creating one cannot be scoped to a key; it is allowed only with
  # this environment's tag in the request. Tagging at creation is authorised as kms:TagResource
  # too. Nothing grants access by that tag, so tagging another key gives this role nothing: the
  # key's administrators are named in its key policy (principal = role ARN, which KMS honours
  # without an identity policy). That policy is part of CreateKey, so EnableKeyRotation and the
  # reads right after it need no tag to have propagated, and CreateKey's lockout check (the caller
  # must be allowed kms:PutKeyPolicy by the new policy) passes.
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key
  # https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
  # sid => a statement held to aws:<tag>/environment = this environment, listed by
  # local.environment_tagged_statements (environment_fence.tf).
  data_tag_scoped = {
    apply = {
      CreateTaggedKeys = { tag = "RequestTag", actions = ["kms:CreateKey"], resources = ["*"] }
      # "To add tags while creating a KMS key, the principal must have permission in an IAM policy
      # that isn't restricted to particular KMS keys" (kms tag-permissions).
      TagKeysOnCreate = { tag = "RequestTag", actions = ["kms:TagResource"], resources = ["arn:${local.partition}:kms:${var.region}:${var.data_account_id}:key/*"] }
    }
  }

  data_statements = {
    for env in var.environments : env => {
      data-read = [
        {
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
          resources = local.data_arn[env].buckets
        },
        # Keys: no identity-policy grant. The bucket key's own policy names this environment's
        # data roles (infra/stack's bucket_kms_key_administrator_arns and bucket_kms_key_reader_arns,
        # see the stack_inputs output), so they reach that key and no other.

        # ListAliases is authorised on the account, not on an alias.
        {
          sid       = "ListAliases"
          actions   = ["kms:ListAliases"]
          resources = ["*"]
        },
      ]

      data-apply = [
        {
          sid = "ManageBucket"
          actions = [
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:PutAccelerateConfiguration",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
          ]
          resources = local.data_arn[env].buckets
        },
        # force_destroy (on for throw-away environments) empties the bucket before deleting it.
        {
          sid       = "EmptyBucketOnDestroy"
          actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"]
          resources = concat(local.data_arn[env].buckets, local.data_arn[env].objects)
        },
        # Alias operations are authorised on the alias as well as on the key.
        {
          sid       = "ManageAliases"
          actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
          resources = local.data_arn[env].aliases
        },
      ]
    }
  }

  # The statement lists each data role's policy merges, in order: the plan role reads; the apply
  # role adds the changes.
  data_policy_lists = {
    plan  = ["environment-fence", "data-read"]
    apply = ["environment-fence", "data-read", "data-apply-tagged", "data-apply"]
  }
}

data "aws_iam_policy_document" "data_trust" {
  for_each = local.ci_roles
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

    # The read-only plan role serves the workload plan role and the pull-request role.
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values = [
        for mode in(each.value.mode == "plan" ? ["plan", "pr"] : [each.value.mode]) :
        "arn:${local.partition}:iam::${var.workload_account_id}:role/${local.role_names[each.value.env][mode]}"
      ]
    }
  }
}

# Each role's policy: its mode's statement lists (local.data_policy_lists), merged in order.
data "aws_iam_policy_document" "data" {
  for_each = local.ci_roles
  provider = aws.data

  source_policy_documents = [for list in local.data_policy_lists[each.value.mode] : data.aws_iam_policy_document.statements["${each.value.env}/${list}"].json]
}

resource "aws_iam_role" "data" {
  for_each = local.ci_roles
  provider = aws.data

  name                 = local.role_names[each.value.env][each.value.mode]
  description          = "terraform ${each.value.mode} of ${each.value.env}, assumed from the workload ${each.value.mode} role."
  assume_role_policy   = data.aws_iam_policy_document.data_trust[each.key].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "data" {
  for_each = local.ci_roles
  provider = aws.data

  name   = "terraform-${each.value.mode}"
  role   = aws_iam_role.data[each.key].id
  policy = data.aws_iam_policy_document.data[each.key].json
}
