data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# `id` is the region name in provider v5 and v6 (`name` is deprecated in v6).
data "aws_region" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  bucket_name   = coalesce(var.bucket_name, "${var.name}-${local.account_id}-${data.aws_region.current.id}")
  writer_root   = "arn:${local.partition}:iam::${split(":", var.writer_role_arn)[4]}:root"
  bucket_arn    = "arn:${local.partition}:s3:::${local.bucket_name}"
  writer_prefix = "${local.bucket_arn}/${var.key_prefix}*"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Objects are disposable generated data that expire by lifecycle; request auditing, when wanted, is CloudTrail data events, not a second log bucket.
  #checkov:skip=CKV_AWS_144:Objects are disposable generated data that expire by lifecycle; a replica in another region adds cost and no value.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object-created events; the writer returns the key to its caller.
  # A derived name needs no check: at most 31 + 1 + 12 + 1 + 14 = 59 valid characters (see `name`).
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-generated-objects"
    status = "Enabled"

    filter {}

    expiration {
      days = var.current_version_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Lifecycle rules on a versioned bucket act on versions, so versioning must be on first.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_kms_key" "this" {
  count = var.kms_encryption ? 1 : 0

  description             = "Encrypts objects in s3://${local.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.kms_encryption ? 1 : 0

  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.this[0].key_id
}

module "kms_key_policy" {
  source = "../_kms-key-policy"

  account_id         = local.account_id
  partition          = local.partition
  administrator_arns = var.kms_key_administrator_arns
  reader_arns        = var.kms_key_reader_arns
}

data "aws_iam_policy_document" "kms" {
  count = var.kms_encryption ? 1 : 0

  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only, and the account-root admin statement is what keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only, and the account-root admin statement is what keeps the key manageable through IAM.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only; key policies cannot name a narrower resource.
  # The account root, the key administrators and readers: the statements both key policies share.
  source_policy_documents = [module.kms_key_policy.json]

  # The writer lives in another account: name that account and pin the role with aws:PrincipalArn,
  # so a re-created role keeps working and no other identity of that account qualifies.
  statement {
    sid       = "WriterUsesKeyThroughS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.writer_root]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [var.writer_role_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.id}.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_encryption ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_encryption ? aws_kms_key.this[0].arn : null
    }
    bucket_key_enabled = var.kms_encryption
  }
}

data "aws_iam_policy_document" "bucket" {
  # The writer's grants, all for the writer role alone (pinned below). It reads back (HEAD) what
  # an earlier attempt of the same job wrote, which the job then reports instead of writing it
  # again; HeadObject is authorised as s3:GetObject.
  # https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
  # A retry lists the multipart uploads under its job's key to abort what a killed attempt left:
  # ListMultipartUploads is authorised on the bucket, with no condition key for its prefix.
  # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
  dynamic "statement" {
    for_each = {
      WriterPutsUnderPrefix      = { actions = ["s3:PutObject", "s3:AbortMultipartUpload"], resource = local.writer_prefix }
      WriterReadsBackUnderPrefix = { actions = ["s3:GetObject"], resource = local.writer_prefix }
      WriterListsUploads         = { actions = ["s3:ListBucketMultipartUploads"], resource = local.bucket_arn }
    }

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = [statement.value.resource]

      principals {
        type        = "AWS"
        identifiers = [local.writer_root]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [var.writer_role_arn]
      }
    }
  }

  # Create-only, enforced by the bucket: even with the writer's credentials in hand, a PutObject or
  # multipart completion without If-None-Match is refused, so no object can be replaced.
  # s3:ObjectCreationOperation is false for CreateMultipartUpload and UploadPart, which carry no
  # conditional header and must stay allowed.
  statement {
    sid       = "DenyWriterOverwrites"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [local.writer_prefix]

    principals {
      type        = "AWS"
      identifiers = [local.writer_root]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [var.writer_role_arn]
    }

    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["true"]
    }

    condition {
      test     = "Bool"
      variable = "s3:ObjectCreationOperation"
      values   = ["true"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

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

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 aborts concurrent changes to a bucket's policy and its public access block (OperationAborted).
  depends_on = [aws_s3_bucket_public_access_block.this]
}
