# The shared statements of the two key policies (data-bucket, monitoring): rendered without a
# provider, so the document itself is checked here, statement by statement.

variables {
  account_id = "111111111111"
}

run "the_account_root_alone_without_roles" {
  command = plan

  assert {
    condition = jsondecode(output.json) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::111111111111:root" }
        Action    = "kms:*"
        Resource  = "*"
      }]
    }
    error_message = "Without named roles the policy must hold the account root's statement only (AWS's default key policy)."
  }
}

run "administrators_and_readers_get_named_actions" {
  command = plan

  variables {
    partition          = "aws-cn"
    administrator_arns = ["arn:aws-cn:iam::111111111111:role/randfile-ci-dev-apply"]
    reader_arns        = ["arn:aws-cn:iam::111111111111:role/randfile-ci-dev-plan", "arn:aws-cn:iam::111111111111:role/randfile-ci-dev-pr"]
  }

  assert {
    condition = { for s in jsondecode(output.json).Statement : s.Sid => s.Principal.AWS } == {
      AccountAdministers = "arn:aws-cn:iam::111111111111:root"
      KeyAdministrators  = "arn:aws-cn:iam::111111111111:role/randfile-ci-dev-apply"
      KeyReaders         = ["arn:aws-cn:iam::111111111111:role/randfile-ci-dev-plan", "arn:aws-cn:iam::111111111111:role/randfile-ci-dev-pr"]
    }
    error_message = "The root, the administrators and the readers must each have their statement, in the key's partition (one principal as a string, as aws_iam_policy_document writes it)."
  }

  # The drift issue 26 found: the alarm key's administrators could not cancel a deletion, nor
  # disable or enable the key.
  assert {
    condition = alltrue([
      for action in ["kms:CancelKeyDeletion", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:EnableKey", "kms:DisableKeyRotation", "kms:EnableKeyRotation", "kms:PutKeyPolicy"] :
      contains(one([for s in jsondecode(output.json).Statement : s.Action if s.Sid == "KeyAdministrators"]), action)
    ])
    error_message = "Key administrators must be able to schedule and cancel deletion, disable and enable the key and its rotation, and change the policy."
  }

  assert {
    condition = alltrue(flatten([for s in jsondecode(output.json).Statement : [
      for a in s.Action : !endswith(a, "*") && !contains(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"], a)
    ] if s.Sid != "AccountAdministers"]))
    error_message = "Only the account root may hold every key action; the roles get named actions and never use the key."
  }

  assert {
    condition     = one([for s in jsondecode(output.json).Statement : s.Action if s.Sid == "KeyReaders"]) == ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    error_message = "Readers must read the key's settings only."
  }
}
