# The data bucket's behaviour: who may write where, how objects are encrypted, when they expire.
# Policies are checked on the statements of their aws_iam_policy_document (the JSON is computed by
# the provider, which a mock only fills with a random string), after the module has derived every
# ARN from the mocked account, region and partition.

mock_provider "aws" {
  source          = "../../tests/mocks/data"
  override_during = plan
}

# Applies need a mock that invents values once, at apply: values made up while planning would be
# made up again and contradict the plan.
mock_provider "aws" {
  alias  = "applied"
  source = "../../tests/mocks/data"
}

variables {
  name            = "randfile-test"
  writer_role_arn = "arn:aws:iam::111111111111:role/randfile-test-function"
}

run "defaults_private_versioned_sse_s3_tls_only" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "randfile-test-222222222222-eu-west-1"
    error_message = "The bucket must be named <name>-<data account>-<region>."
  }

  assert {
    condition     = output.bucket_owner == "222222222222"
    error_message = "bucket_owner must be the account the bucket is created in, not the writer's."
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "A bucket holding objects must not be destroyable by default."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement : {
        effect     = s.effect
        actions    = s.actions
        resources  = s.resources
        principals = s.principals
      } if s.sid == "DenyInsecureTransport"
      ]) == {
      effect     = "Deny"
      actions    = toset(["s3:*"])
      resources  = toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1", "arn:aws:s3:::randfile-test-222222222222-eu-west-1/*"])
      principals = toset([{ type = "*", identifiers = toset(["*"]) }])
    }
    error_message = "Every S3 action on the bucket and its objects must be denied to every principal..."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement :
      toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if s.sid == "DenyInsecureTransport"
    ]) == toset(["Bool aws:SecureTransport false"])
    error_message = "...when the request does not use TLS (aws:SecureTransport = false)."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "Every public access block setting must be on."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "Objects written by the other account must belong to the bucket owner (ACLs disabled)."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "Without kms_encryption the bucket must use SSE-S3 (AES256)."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == null
    error_message = "SSE-S3 names no KMS key."
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_alias.this) == 0 && output.kms_key_arn == null
    error_message = "Without kms_encryption no key is created and kms_key_arn is null."
  }
}

run "explicit_bucket_name_wins" {
  command = plan

  variables {
    bucket_name = "shared-random-files"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket == "shared-random-files"
    error_message = "bucket_name must replace the derived name."
  }
}

run "writer_may_only_create_objects_under_the_prefix" {
  command = plan

  variables {
    key_prefix = "generated/files/"
  }

  assert {
    condition = toset([for s in data.aws_iam_policy_document.bucket.statement : s.sid]) == toset([
      "WriterPutsUnderPrefix", "WriterReadsBackUnderPrefix", "WriterListsUploads", "DenyWriterOverwrites", "DenyInsecureTransport",
    ])
    error_message = "The bucket policy must hold the writer's grants and the two denies checked here, nothing else."
  }

  assert {
    condition = {
      for s in data.aws_iam_policy_document.bucket.statement : s.sid => [
        s.actions, s.resources, one(s.principals).identifiers,
        toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]),
      ] if contains(["WriterReadsBackUnderPrefix", "WriterListsUploads"], s.sid)
      } == {
      WriterReadsBackUnderPrefix = [
        toset(["s3:GetObject"]), toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1/generated/files/*"]),
        toset(["arn:aws:iam::111111111111:root"]), toset(["ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/randfile-test-function"]),
      ]
      WriterListsUploads = [
        toset(["s3:ListBucketMultipartUploads"]), toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1"]),
        toset(["arn:aws:iam::111111111111:root"]), toset(["ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/randfile-test-function"]),
      ]
    }
    error_message = "The writer role alone (pinned) may read back (HEAD) under key_prefix and list the bucket's multipart uploads (to abort a killed attempt's), nothing more."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement : s.actions if s.sid == "WriterPutsUnderPrefix"
    ]) == toset(["s3:PutObject", "s3:AbortMultipartUpload"])
    error_message = "The writer may put objects and abort its uploads under the prefix (no delete)."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement : s.resources if s.sid == "WriterPutsUnderPrefix"
    ]) == toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1/generated/files/*"])
    error_message = "The writer's grant must cover the objects under key_prefix of this bucket only."
  }

  assert {
    condition = one(one([
      for s in data.aws_iam_policy_document.bucket.statement : s.principals if s.sid == "WriterPutsUnderPrefix"
    ])) == { type = "AWS", identifiers = toset(["arn:aws:iam::111111111111:root"]) }
    error_message = "The grant's principal must be the writer's account (root), so the role may be re-created."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement :
      toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if s.sid == "WriterPutsUnderPrefix"
    ]) == toset(["ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/randfile-test-function"])
    error_message = "Only the writer role of that account may use the grant (aws:PrincipalArn condition)."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement : {
        effect     = s.effect
        actions    = s.actions
        resources  = s.resources
        principals = s.principals
      } if s.sid == "DenyWriterOverwrites"
      ]) == {
      effect     = "Deny"
      actions    = toset(["s3:PutObject"])
      resources  = toset(["arn:aws:s3:::randfile-test-222222222222-eu-west-1/generated/files/*"])
      principals = toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::111111111111:root"]) }])
    }
    error_message = "The writer's puts under the prefix must be denied..."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.bucket.statement :
      toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if s.sid == "DenyWriterOverwrites"
      ]) == toset([
      "ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/randfile-test-function",
      "Null s3:if-none-match true",
      "Bool s3:ObjectCreationOperation true",
    ])
    error_message = "...when an object-creating request (PutObject, CompleteMultipartUpload) lacks If-None-Match, so nothing is replaced."
  }
}

run "sse_kms_with_a_key_for_the_writer_through_s3" {
  command = plan

  variables {
    kms_encryption              = true
    kms_deletion_window_in_days = 10
  }

  assert {
    condition = [
      for rule in aws_s3_bucket_server_side_encryption_configuration.this.rule : [
        rule.apply_server_side_encryption_by_default[0].sse_algorithm,
        rule.apply_server_side_encryption_by_default[0].kms_master_key_id,
        rule.bucket_key_enabled,
      ]
    ] == [["aws:kms", "arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001", true]]
    error_message = "kms_encryption must switch the default encryption to SSE-KMS with the module's key and an S3 bucket key."
  }

  assert {
    condition     = output.kms_key_arn == aws_kms_key.this[0].arn
    error_message = "kms_key_arn must name the key the bucket encrypts with."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].deletion_window_in_days == 10
    error_message = "The key must rotate and use the requested deletion window."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/randfile-test-data" && aws_kms_alias.this[0].target_key_id == aws_kms_key.this[0].key_id
    error_message = "The alias must be alias/<name>-data and point at the key."
  }

  assert {
    condition = one([
      for s in jsondecode(module.kms_key_policy.json).Statement : s.Principal.AWS if s.Sid == "AccountAdministers"
    ]) == "arn:aws:iam::222222222222:root"
    error_message = "The data account (its root) must administer the key, or the key becomes unmanageable."
  }

  assert {
    condition     = data.aws_iam_policy_document.kms[0].source_policy_documents == tolist([module.kms_key_policy.json])
    error_message = "The key policy must start from the statements both key policies share (../_kms-key-policy)."
  }

  assert {
    condition = one([
      for s in data.aws_iam_policy_document.kms[0].statement : {
        actions    = s.actions
        principals = s.principals
        conditions = toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"])
      } if s.sid == "WriterUsesKeyThroughS3"
      ]) == {
      actions    = toset(["kms:GenerateDataKey", "kms:Decrypt"])
      principals = toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::111111111111:root"]) }])
      conditions = toset([
        "ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/randfile-test-function",
        "StringEquals kms:ViaService s3.eu-west-1.amazonaws.com",
      ])
    }
    error_message = "The writer role alone may use the key, only for S3 uploads in the bucket's region."
  }
}

run "lifecycle_days_follow_the_variables" {
  command = plan

  variables {
    current_version_expiration_days    = 45
    noncurrent_version_expiration_days = 3
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).status == "Enabled"
    error_message = "The expiry rule must be enabled."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).expiration[0].days == 45
    error_message = "Current versions must expire after current_version_expiration_days."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration[0].noncurrent_days == 3
    error_message = "Noncurrent versions must go after noncurrent_version_expiration_days."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).abort_incomplete_multipart_upload[0].days_after_initiation == 1
    error_message = "Abandoned multipart uploads must be cleaned up after a day."
  }
}

# The bucket policy's document is read only once the bucket exists, so this run applies (against
# the mock). Each document gets its own JSON, so a policy wired to the wrong document fails.
run "policies_are_the_checked_documents" {
  providers = {
    aws = aws.applied
  }

  variables {
    kms_encryption = true
  }

  # Replaces the file's plan-time override, whose made-up values an apply would contradict.
  override_resource {
    target          = aws_s3_bucket.this
    override_during = apply
  }

  override_data {
    target = data.aws_iam_policy_document.bucket
    values = {
      json = "{\"Id\":\"bucket\",\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_data {
    target = data.aws_iam_policy_document.kms[0]
    values = {
      json = "{\"Id\":\"kms\",\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  assert {
    condition     = aws_s3_bucket_policy.this.policy == data.aws_iam_policy_document.bucket.json
    error_message = "The bucket policy must be the document whose statements are checked above."
  }

  assert {
    condition     = aws_kms_key.this[0].policy == data.aws_iam_policy_document.kms[0].json
    error_message = "The key policy must be the document whose statements are checked above."
  }
}
