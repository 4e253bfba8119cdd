# Roles GitHub Actions assumes in the workload account through OIDC, one pair per environment.

locals {
  workload_arn = {
    for env in var.environments : env => {
      functions = flatten([for name in local.stack_names[env] : [
        "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${name}",
        "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${name}:*",
      ]])
      roles = [for name in local.stack_names[env] : "arn:${local.partition}:iam::${var.workload_account_id}:role/${name}"]
      log_groups = flatten([for group in ["/aws/lambda/${var.name_prefix}-${env}", "/aws/apigateway/${var.name_prefix}-${env}/*"] : [
        "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:${group}",
        "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:${group}:*",
      ]])
      hosted_zone = "arn:${local.partition}:route53:::hostedzone/${var.hosted_zone_id}"
      state_key   = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}"
      state_lock  = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}.tflock"
      saved_plans = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}${local.saved_plans_suffix}*"
    }
  }

  # API Gateway names its resources by generated ids, never by name, so the control-plane ARNs
  # below cannot be narrowed to this stack's APIs; they are limited to this region.
  api_gateway_arns = [
    for path in ["/account", "/restapis", "/restapis/*", "/domainnames", "/domainnames/*", "/apikeys", "/apikeys/*", "/usageplans", "/usageplans/*", "/tags/*"] :
    "arn:${local.partition}:apigateway:${var.region}::${path}"
  ]
}

# One trust document per GitHub subject set: the plan roles share pull requests and the drift
# check; each apply role is its environment's jobs only. aud and sub are pinned exactly.
data "aws_iam_policy_document" "github_trust" {
  for_each = merge(
    { plan = local.plan_subjects },
    { for env in var.environments : "apply-${env}" => [local.apply_subjects[env]] },
  )
  provider = aws.workload

  statement {
    sid     = each.key == "plan" ? "GitHubPullRequestsAndDriftCheck" : "GitHubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value
    }
  }
}

# Everything `terraform plan` reads in the workload account; the apply role gets it too.
data "aws_iam_policy_document" "workload_read" {
  for_each = toset(var.environments)
  provider = aws.workload

  statement {
    sid       = "ReadFunction"
    actions   = ["lambda:Get*", "lambda:List*"]
    resources = local.workload_arn[each.key].functions
  }

  statement {
    sid       = "ReadRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags"]
    resources = local.workload_arn[each.key].roles
  }

  statement {
    sid       = "ReadLogGroups"
    actions   = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = local.workload_arn[each.key].log_groups
  }

  statement {
    # DescribeLogGroups is authorised on the account's log-group listing, not on one group.
    sid       = "ListLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:*"]
  }

  statement {
    sid       = "ReadApiGateway"
    actions   = ["apigateway:GET"]
    resources = local.api_gateway_arns
  }

  statement {
    # Certificates are named by random ids; reading them reveals no secret material.
    sid       = "ReadCertificates"
    actions   = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadHostedZone"
    actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
    resources = [local.workload_arn[each.key].hosted_zone]
  }

  statement {
    # The stack looks the zone up by name; these listing calls support no resource-level scoping.
    sid       = "FindHostedZone"
    actions   = ["route53:ListHostedZones", "route53:ListHostedZonesByName"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadDnsChanges"
    actions   = ["route53:GetChange"]
    resources = ["arn:${local.partition}:route53:::change/*"]
  }

  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.state_keys[each.key], "${local.state_keys[each.key]}.tflock"]
    }
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = [local.workload_arn[each.key].state_key, local.workload_arn[each.key].state_lock]
  }

}

data "aws_iam_policy_document" "workload_plan" {
  for_each = toset(var.environments)
  provider = aws.workload

  source_policy_documents = [data.aws_iam_policy_document.workload_read[each.key].json]

  statement {
    sid       = "AssumeDataPlanRole"
    actions   = ["sts:AssumeRole"]
    resources = [aws_iam_role.data_plan[each.key].arn]
  }

  statement {
    # The deploy's plan job hands its saved plan to the apply job here: write-only, because a
    # saved plan holds the state's sensitive values and pull requests assume this role too. The
    # apply job refuses any object whose sha256 is not the one the plan job reported.
    sid       = "StoreSavedPlans"
    actions   = ["s3:PutObject"]
    resources = [local.workload_arn[each.key].saved_plans]
  }
}

# What `terraform apply` changes in the workload account, on top of workload_read.
data "aws_iam_policy_document" "workload_apply" {
  for_each = toset(var.environments)
  provider = aws.workload

  source_policy_documents = [data.aws_iam_policy_document.workload_read[each.key].json]

  statement {
    sid = "ManageFunction"
    actions = [
      "lambda:AddPermission",
      "lambda:CreateFunction",
      "lambda:DeleteFunction",
      "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunctionEventInvokeConfig",
      "lambda:PublishVersion",
      "lambda:PutFunctionConcurrency",
      "lambda:PutFunctionEventInvokeConfig",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = local.workload_arn[each.key].functions
  }

  statement {
    # Creating the function's execution role and its inline policy is privilege management by
    # nature: whoever may apply may grant this environment's function what the stack says. A
    # permissions boundary on these roles would cap that; the stack does not set one yet.
    sid = "ManageStackRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:ListInstanceProfilesForRole",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = local.workload_arn[each.key].roles
  }

  statement {
    # The only managed policy the stack attaches (API Gateway's account-wide logging role).
    sid       = "AttachApiGatewayLoggingPolicy"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = local.workload_arn[each.key].roles

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }

  statement {
    sid       = "PassStackRoles"
    actions   = ["iam:PassRole"]
    resources = local.workload_arn[each.key].roles

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
    ]
    resources = local.workload_arn[each.key].log_groups
  }

  statement {
    # See local.api_gateway_arns: API Gateway ARNs carry generated ids, not names.
    sid       = "ManageApiGateway"
    actions   = ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT", "apigateway:UpdateRestApiPolicy"]
    resources = local.api_gateway_arns
  }

  statement {
    # A requested certificate gets a new random id, so there is no ARN to name in advance.
    sid       = "ManageCertificates"
    actions   = ["acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate", "acm:RequestCertificate"]
    resources = ["*"]
  }

  statement {
    sid       = "ChangeRecordsInZone"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = [local.workload_arn[each.key].hosted_zone]
  }

  statement {
    sid       = "WriteState"
    actions   = ["s3:PutObject"]
    resources = [local.workload_arn[each.key].state_key]
  }

  statement {
    # Only applies lock: plans (pull requests, drift, the deploy's plan job) run with -lock=false,
    # so a cancelled plan never leaves a lock behind, and the plan roles cannot touch the lock.
    sid       = "HoldStateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.workload_arn[each.key].state_lock]
  }

  statement {
    # The only role that may read a saved plan; it deletes the plan once applied.
    sid       = "ApplySavedPlans"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = [local.workload_arn[each.key].saved_plans]
  }

  statement {
    # The post-deploy smoke test calls the API with this role's SigV4 signature.
    sid       = "SmokeTestInvoke"
    actions   = ["execute-api:Invoke"]
    resources = ["arn:${local.partition}:execute-api:${var.region}:${var.workload_account_id}:*/*/POST/files"]
  }

  statement {
    sid       = "AssumeDataApplyRole"
    actions   = ["sts:AssumeRole"]
    resources = [aws_iam_role.data_apply[each.key].arn]
  }
}

resource "aws_iam_role" "workload_plan" {
  for_each = toset(var.environments)
  provider = aws.workload

  name                 = local.role_names[each.key].plan
  description          = "GitHub Actions: terraform plan of ${each.key} (pull requests, drift check)."
  assume_role_policy   = data.aws_iam_policy_document.github_trust["plan"].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "workload_plan" {
  for_each = toset(var.environments)
  provider = aws.workload

  name   = "terraform-plan"
  role   = aws_iam_role.workload_plan[each.key].id
  policy = data.aws_iam_policy_document.workload_plan[each.key].json
}

resource "aws_iam_role" "workload_apply" {
  for_each = toset(var.environments)
  provider = aws.workload

  name                 = local.role_names[each.key].apply
  description          = "GitHub Actions: terraform apply of ${each.key} (jobs in the ${each.key} environment)."
  assume_role_policy   = data.aws_iam_policy_document.github_trust["apply-${each.key}"].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "workload_apply" {
  for_each = toset(var.environments)
  provider = aws.workload

  name   = "terraform-apply"
  role   = aws_iam_role.workload_apply[each.key].id
  policy = data.aws_iam_policy_document.workload_apply[each.key].json
}
