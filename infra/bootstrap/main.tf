data "aws_partition" "current" {
  provider = aws.workload
}

locals {
  partition = data.aws_partition.current.partition

  tags = merge(var.tags, {
    project    = var.name_prefix
    managed-by = "terraform"
    component  = "bootstrap"
    repository = var.github_repository
  })

  state_bucket_name = coalesce(var.state_bucket_name, "${var.name_prefix}-tfstate-${var.workload_account_id}-${var.region}")
  state_keys        = { for env in var.environments : env => format(var.state_key_format, env) }
  # Saved plans travel from the plan job to the apply job under "<state key>.plans/<run>.tfplan"
  # (scripts/ci/state_bucket.py), beside the state they were made from.
  saved_plans_suffix = ".plans/"

  github_oidc_host = "token.actions.githubusercontent.com"
  oidc_provider_arn = (
    var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : "arn:${local.partition}:iam::${var.workload_account_id}:oidc-provider/${local.github_oidc_host}"
  )

  # GitHub `sub` claims, pinned exactly: each pull-request role serves pull requests, each plan
  # role the deploy's plan job and the drift check (both in the drift environment), each apply
  # role only jobs running in its own GitHub environment.
  # Repositories created, renamed or transferred since 2026-07-15 get only immutable subjects that
  # carry the owner's and the repository's numeric IDs (`repo:OWNER@OWNER_ID/REPO@REPO_ID:...`), so
  # the IDs are required. An older repository keeps `repo:OWNER/REPO:...` until it opts in:
  # trust_name_only_subject adds that form. A repository that later takes this name has other IDs,
  # so the immutable form cannot admit it.
  # https://docs.github.com/en/actions/reference/security/oidc#immutable-subject-claims
  # The subject is not bound to the workflow file (a customized `sub` with `job_workflow_ref`):
  # docs/security.md, "CI roles", says why.
  github_owner = split("/", var.github_repository)[0]
  github_name  = split("/", var.github_repository)[1]
  github_subject_repos = concat(
    ["${local.github_owner}@${var.github_owner_id}/${local.github_name}@${var.github_repository_id}"],
    var.trust_name_only_subject ? [var.github_repository] : [],
  )
  ci_subjects = {
    for env in var.environments : env => {
      pr    = [for repo in local.github_subject_repos : "repo:${repo}:pull_request"]
      plan  = [for repo in local.github_subject_repos : "repo:${repo}:environment:${var.drift_environment}"]
      apply = [for repo in local.github_subject_repos : "repo:${repo}:environment:${env}"]
    }
  }

  # "<prefix>-ci-..." never matches the stack's "<prefix>-<env>-*" patterns below (the environment
  # "ci" is refused), so an apply role cannot rewrite its own permissions. Both accounts use the
  # same names.
  role_names = {
    for env in var.environments : env => {
      for role in ["pr", "plan", "apply", "boundary"] : role => "${var.name_prefix}-ci-${env}-${role}"
    }
  }

  # Each account holds one role per environment and mode, keyed "<env>-<mode>" (moved.tf maps the
  # former per-mode addresses onto these keys). Pull requests get a workload role of their own that
  # reads and cannot write saved plans; in the data account they use the read-only plan role.
  ci_roles = {
    for pair in setproduct(var.environments, ["plan", "apply"]) : "${pair[0]}-${pair[1]}" => {
      env  = pair[0]
      mode = pair[1]
    }
  }
  workload_ci_roles = merge(local.ci_roles, {
    for env in var.environments : "${env}-pr" => { env = env, mode = "pr" }
  })

  # The stack names everything "<name_prefix>-<env>" or "<name_prefix>-<env>-...": the roles of one
  # environment cannot touch another environment's resources even when both share an account.
  stack_names = { for env in var.environments : env => module.stack_names[env].name_patterns }
}

# The names of each environment's stack, from where infra/stack reads them too.
module "stack_names" {
  source   = "../modules/_names"
  for_each = toset(var.environments)

  prefix      = var.name_prefix
  environment = each.key
}

# --- Terraform state ------------------------------------------------------------------------------

resource "aws_s3_bucket" "state" {
  provider = aws.workload

  #checkov:skip=CKV_AWS_18:Access logging needs a second bucket; CloudTrail data events are the audit trail for a bucket written only by CI roles.
  #checkov:skip=CKV_AWS_144:Cross-region replication of Terraform state is not worth a second bucket; versioning restores any earlier state.
  #checkov:skip=CKV2_AWS_62:Nothing consumes event notifications for state objects.
  bucket = local.state_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "state" {
  provider = aws.workload

  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  provider = aws.workload

  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  provider = aws.workload

  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  provider = aws.workload

  bucket = aws_s3_bucket.state.id

  # The AWS managed key (aws/s3): encrypted with KMS, and every principal of the account that may
  # read the object may decrypt it, so the roles need no key grants.
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  provider = aws.workload

  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    # Old states stay restorable for 90 days after they are superseded.
    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # A plan nobody approved expires; once deleted or expired, no old version lingers. Where rules
  # overlap, S3 applies the shortest expiration period
  # (docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html).
  dynamic "rule" {
    for_each = local.state_keys

    content {
      id     = "expire-saved-plans-${rule.key}"
      status = "Enabled"

      filter {
        prefix = "${rule.value}${local.saved_plans_suffix}"
      }

      expiration {
        days = var.saved_plan_expiration_days
      }

      noncurrent_version_expiration {
        noncurrent_days = 1
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state_bucket" {
  provider = aws.workload

  # Saved plans are create-only: a write must carry If-None-Match (S3 conditional writes), so no
  # principal can replace a plan waiting for its apply, whatever its own policy allows.
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
  statement {
    sid       = "DenySavedPlanOverwrites"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [for key in values(local.state_keys) : "${aws_s3_bucket.state.arn}/${key}${local.saved_plans_suffix}*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["true"]
    }

    # Multipart uploads' CreateMultipartUpload and UploadPart take no conditional header; their
    # CompleteMultipartUpload does, and is checked.
    condition {
      test     = "Bool"
      variable = "s3:ObjectCreationOperation"
      values   = ["true"]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state.arn,
      "${aws_s3_bucket.state.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  provider = aws.workload

  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

# --- GitHub OIDC ----------------------------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count    = var.create_oidc_provider ? 1 : 0
  provider = aws.workload

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint_list: IAM validates GitHub's certificate against its own trusted CAs and ignores
  # thumbprints for this provider, so pinning one would only add a value that goes stale.
}
