# Roles GitHub Actions assumes in the workload account through OIDC, one pair per environment.

locals {
  workload_arn = {
    for env in var.environments : env => {
      functions = flatten([for name in local.stack_names[env] : [
        "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${name}",
        "arn:${local.partition}:lambda:${var.region}:${var.workload_account_id}:function:${name}:*",
      ]])
      roles = [for name in local.stack_names[env] : "arn:${local.partition}:iam::${var.workload_account_id}:role/${name}"]
      log_groups = flatten([for group in concat(values(module.stack_names[env].function_log_groups), [module.stack_names[env].api_log_groups_pattern]) : [
        "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:${group}",
        "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:${group}:*",
      ]])
      hosted_zone = "arn:${local.partition}:route53:::hostedzone/${var.hosted_zone_id}"
      domain_name = [
        "arn:${local.partition}:apigateway:${var.region}::/domainnames/${var.api_domain_names[env]}",
        "arn:${local.partition}:apigateway:${var.region}::/domainnames/${var.api_domain_names[env]}/*",
      ]
      boundary    = "arn:${local.partition}:iam::${var.workload_account_id}:policy/${local.role_names[env].boundary}"
      state_key   = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}"
      state_lock  = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}.tflock"
      saved_plans = "${aws_s3_bucket.state.arn}/${local.state_keys[env]}${local.saved_plans_suffix}*"
    }
  }

  # API Gateway names REST APIs, usage plans and API keys by generated ids, so their ARNs cannot
  # name an environment: they are reached by the environment tag instead (attribute-based access
  # control). A REST API's tags are inherited, for authorization, by its resources, methods,
  # integrations, policy, deployments and stages; a usage plan's by its keys; a domain name's by
  # its base path mappings. Tagging (PUT/DELETE /tags/<arn>) is authorized on the tagged resource.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-iam-policy.html
  api_gateway_collections = [
    for path in ["/restapis", "/apikeys", "/usageplans"] : "arn:${local.partition}:apigateway:${var.region}::${path}"
  ]
  api_gateway_tagged = [
    for path in ["/restapis/*", "/apikeys/*", "/usageplans/*", "/tags/*"] : "arn:${local.partition}:apigateway:${var.region}::${path}"
  ]
  api_gateway_domains_arn = "arn:${local.partition}:apigateway:${var.region}::/domainnames"

  # API Gateway names a stage's execution log group after the API's generated id
  # ("API-Gateway-Execution-Logs_<id>/<stage>"): reached by the environment tag too.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  execution_log_groups = [
    "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:API-Gateway-Execution-Logs_*",
    "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:API-Gateway-Execution-Logs_*:*",
  ]

  # ACM names certificates by generated ids: this account's and region's, no narrower.
  certificates_arn = "arn:${local.partition}:acm:${var.region}:${var.workload_account_id}:certificate/*"

  # The service-linked role API Gateway creates in the account the first time it needs it (custom
  # domain names among others). Creating it takes iam:CreateServiceLinkedRole from the caller.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/using-service-linked-roles.html
  api_gateway_service_linked_role = "arn:${local.partition}:iam::${var.workload_account_id}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway"

  # What API Gateway, CloudWatch Logs and ACM name by a generated id (local.api_gateway_tagged,
  # local.execution_log_groups, API Gateway's domain names, local.certificates_arn) is created with
  # this environment's tag and read, changed and deleted only while it carries it: sid => actions
  # and resources of a statement held to aws:<tag>/environment = this environment, listed by
  # local.environment_tagged_statements (environment_fence.tf).
  workload_tag_scoped = {
    read = {
      ReadOwnExecutionLogGroups = { tag = "ResourceTag", actions = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"], resources = local.execution_log_groups }
      # No GET on the collections: GET /apikeys?includeValues=true would return every key's value.
      ReadOwnApiGateway = { tag = "ResourceTag", actions = ["apigateway:GET"], resources = local.api_gateway_tagged }
      # Certificates are named by random ids: this environment's are those it tagged at request
      # time. https://docs.aws.amazon.com/acm/latest/userguide/security-iam.html
      ReadOwnCertificates = { tag = "ResourceTag", actions = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"], resources = [local.certificates_arn] }
    }
    apply = {
      # Created with the tag (tags at CreateLogGroup are authorised as logs:TagResource too).
      # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
      CreateTaggedExecutionLogGroups = { tag = "RequestTag", actions = ["logs:CreateLogGroup", "logs:TagResource"], resources = local.execution_log_groups }
      ManageOwnExecutionLogGroups = {
        tag = "ResourceTag"
        actions = [
          "logs:DeleteLogGroup",
          "logs:DeleteRetentionPolicy",
          "logs:PutRetentionPolicy",
          "logs:TagLogGroup",
          "logs:TagResource",
          "logs:UntagLogGroup",
          "logs:UntagResource",
        ]
        resources = local.execution_log_groups
      }
      # REST APIs, API keys and usage plans.
      CreateTaggedApiGatewayResources = { tag = "RequestTag", actions = ["apigateway:POST"], resources = local.api_gateway_collections }
      ManageOwnApiGatewayResources    = { tag = "ResourceTag", actions = ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT", "apigateway:UpdateRestApiPolicy"], resources = local.api_gateway_tagged }
      CreateOwnDomainName             = { tag = "RequestTag", actions = ["apigateway:POST"], resources = [local.api_gateway_domains_arn] }
      # A requested certificate gets a new random id, so there is no ARN to name in advance:
      # RequestCertificate takes no resource, and its tags (authorised as AddTagsToCertificate)
      # must carry this environment.
      RequestCertificates = { tag = "RequestTag", actions = ["acm:AddTagsToCertificate", "acm:RequestCertificate"], resources = ["*"] }
      # Deletion and tag changes reach only this environment's certificates. The tag was set at
      # request time, long before a certificate is replaced or destroyed.
      # https://docs.aws.amazon.com/acm/latest/userguide/security-iam.html
      ManageOwnCertificates = { tag = "ResourceTag", actions = ["acm:DeleteCertificate", "acm:RemoveTagsFromCertificate"], resources = [local.certificates_arn] }
    }
  }

  # The workload roles' statement lists (policy_statements.tf renders them), and the stack roles'
  # boundary beside jobs-boundary (permissions_jobs.tf).
  workload_statements = {
    for env in var.environments : env => {
      # Everything `terraform plan` reads in the workload account; the apply role gets it too.
      workload-read = [
        {
          sid = "ReadFunction"
          actions = [
            "lambda:GetFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:GetFunctionConcurrency",
            "lambda:GetPolicy",
            "lambda:ListTags",
            "lambda:ListVersionsByFunction",
          ]
          resources = local.workload_arn[env].functions
        },
        {
          sid       = "ReadRoles"
          actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags"]
          resources = local.workload_arn[env].roles
        },
        {
          sid       = "ReadLogGroups"
          actions   = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
          resources = local.workload_arn[env].log_groups
        },
        # DescribeLogGroups supports no resource-level permission: it takes "*".
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
        {
          sid       = "ListLogGroups"
          actions   = ["logs:DescribeLogGroups"]
          resources = ["*"]
        },
        {
          sid       = "ReadOwnDomainName"
          actions   = ["apigateway:GET"]
          resources = local.workload_arn[env].domain_name
        },
        # Read only when a reserved concurrency is set: the function module checks it against the
        # account's "Concurrent executions" quota before Lambda would refuse it.
        {
          sid       = "ReadLambdaConcurrencyQuota"
          actions   = ["servicequotas:GetServiceQuota"]
          resources = ["arn:${local.partition}:servicequotas:${var.region}:${var.workload_account_id}:lambda/L-B99A9384"]
        },
        # The provider's quota data source also reads the AWS default (public values, the same for
        # every account); that action takes "*" only and no condition.
        {
          sid       = "ReadLambdaDefaultConcurrencyQuota"
          actions   = ["servicequotas:GetAWSDefaultServiceQuota"]
          resources = ["*"]
        },
        {
          sid       = "ReadHostedZone"
          actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
          resources = [local.workload_arn[env].hosted_zone]
        },
        # The stack looks the zone up by name; these listing calls support no resource-level scoping.
        {
          sid       = "FindHostedZone"
          actions   = ["route53:ListHostedZones", "route53:ListHostedZonesByName"]
          resources = ["*"]
        },
        {
          sid       = "ReadDnsChanges"
          actions   = ["route53:GetChange"]
          resources = ["arn:${local.partition}:route53:::change/*"]
        },
        # The S3 backend lists its workspaces under the default workspace_key_prefix ("env:/") on
        # every init, plan and apply, besides reading the state's own key.
        # https://developer.hashicorp.com/terraform/language/backend/s3#s3-bucket-permissions
        {
          sid        = "ListStateBucket"
          actions    = ["s3:ListBucket"]
          resources  = [aws_s3_bucket.state.arn]
          conditions = [{ test = "StringLike", variable = "s3:prefix", values = [local.state_keys[env], "${local.state_keys[env]}.tflock", "env:/"] }]
        },
        {
          sid       = "ReadState"
          actions   = ["s3:GetObject"]
          resources = [local.workload_arn[env].state_key, local.workload_arn[env].state_lock]
        },
      ]

      # Pull requests: read, and reach the data account's read-only plan role. No saved plan: a
      # pull request's code cannot write where the apply job reads.
      workload-pr = [
        {
          sid       = "AssumeDataPlanRole"
          actions   = ["sts:AssumeRole"]
          resources = [aws_iam_role.data["${env}-plan"].arn]
        },
      ]

      workload-plan = [
        # The deploy's plan job hands its saved plan to the apply job here: create-only
        # (If-None-Match, also enforced by the state bucket's policy), and write-only, because a
        # saved plan holds the state's sensitive values. The apply job refuses any object whose
        # sha256 is not the one the plan job reported.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
        {
          sid        = "CreateSavedPlans"
          actions    = ["s3:PutObject"]
          resources  = [local.workload_arn[env].saved_plans]
          conditions = [{ test = "StringEquals", variable = "s3:if-none-match", values = ["*"] }]
        },
      ]

      # What `terraform apply` changes in the workload account, on top of workload-read.
      workload-apply = [
        {
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
          resources = local.workload_arn[env].functions
        },
        # Roles are created and their permissions changed only with this environment's permissions
        # boundary on them, so no role the stack makes can hold more than the boundary allows,
        # whatever policy is put on it. iam:PermissionsBoundary is the boundary in the request
        # (CreateRole, PutRolePermissionsBoundary) or already on the role (Put/Delete RolePolicy,
        # Attach/Detach).
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate
        {
          sid = "CreateAndChangeBoundedRoles"
          actions = [
            "iam:CreateRole",
            "iam:DeleteRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
          ]
          resources  = local.workload_arn[env].roles
          conditions = [local.with_boundary[env]]
        },
        # What needs no boundary check: none of these adds a permission to the role.
        {
          sid = "ManageStackRoles"
          actions = [
            "iam:DeleteRole",
            "iam:ListInstanceProfilesForRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
          ]
          resources = local.workload_arn[env].roles
        },
        # A trust policy decides who may use a role: rewritten only on this environment's roles that
        # carry its boundary (UpdateAssumeRolePolicy supports iam:PermissionsBoundary). IAM has no
        # condition key on the trust document's principals, so the service principal the stack
        # names (lambda.amazonaws.com) cannot be pinned here; the boundary caps what any principal
        # could do with the role.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
        {
          sid        = "UpdateBoundedRoleTrust"
          actions    = ["iam:UpdateAssumeRolePolicy"]
          resources  = local.workload_arn[env].roles
          conditions = [local.with_boundary[env]]
        },
        # A boundary, once set, stays: no CI role may remove it or edit the boundary policies.
        {
          sid       = "KeepBoundaries"
          effect    = "Deny"
          actions   = ["iam:DeleteRolePermissionsBoundary"]
          resources = ["*"]
        },
        {
          sid       = "NoBoundaryPolicyEdits"
          effect    = "Deny"
          actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]
          resources = [for boundary_env in var.environments : local.workload_arn[boundary_env].boundary]
        },
        # Only to destroy the API Gateway logging role a stack made before the bootstrap took that
        # account-wide setting over (api_gateway_account.tf): the stack attaches no managed policy.
        {
          sid       = "DetachFormerApiGatewayLoggingPolicy"
          actions   = ["iam:DetachRolePolicy"]
          resources = local.workload_arn[env].roles
          conditions = [
            { test = "ArnEquals", variable = "iam:PolicyARN", values = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"] },
            local.with_boundary[env],
          ]
        },
        {
          sid        = "CreateApiGatewayServiceLinkedRole"
          actions    = ["iam:CreateServiceLinkedRole"]
          resources  = [local.api_gateway_service_linked_role]
          conditions = [{ test = "StringEquals", variable = "iam:AWSServiceName", values = ["ops.apigateway.amazonaws.com"] }]
        },
        {
          sid        = "PassStackRoles"
          actions    = ["iam:PassRole"]
          resources  = local.workload_arn[env].roles
          conditions = [{ test = "StringEquals", variable = "iam:PassedToService", values = ["lambda.amazonaws.com"] }]
        },
        {
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
          resources = local.workload_arn[env].log_groups
        },
        {
          sid       = "ManageOwnDomainName"
          actions   = ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
          resources = local.workload_arn[env].domain_name
        },
        {
          sid       = "ChangeRecordsInZone"
          actions   = ["route53:ChangeResourceRecordSets"]
          resources = [local.workload_arn[env].hosted_zone]
        },
        {
          sid       = "WriteState"
          actions   = ["s3:PutObject"]
          resources = [local.workload_arn[env].state_key]
        },
        # Only applies lock: plans (pull requests, drift, the deploy's plan job) run with
        # -lock=false, so a cancelled plan never leaves a lock behind, and the plan roles cannot
        # touch the lock.
        {
          sid       = "HoldStateLock"
          actions   = ["s3:PutObject", "s3:DeleteObject"]
          resources = [local.workload_arn[env].state_lock]
        },
        # The only role that may read a saved plan; it deletes the plan once applied. The apply job
        # fetches the exact version the plan job stored, and a GET naming a VersionId is authorized
        # as s3:GetObjectVersion, not s3:GetObject
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Permissions).
        {
          sid       = "ApplySavedPlans"
          actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"]
          resources = [local.workload_arn[env].saved_plans]
        },
        # The post-deploy smoke test calls the API with this role's SigV4 signature.
        {
          sid       = "SmokeTestInvoke"
          actions   = ["execute-api:Invoke"]
          resources = ["arn:${local.partition}:execute-api:${var.region}:${var.workload_account_id}:*/*/POST/files"]
        },
        {
          sid       = "AssumeDataApplyRole"
          actions   = ["sts:AssumeRole"]
          resources = [aws_iam_role.data["${env}-apply"].arn]
        },
      ]

      stack-role-boundary = [
        # s3:GetObject: a retried job reads back (HEAD) the object an earlier delivery wrote.
        {
          sid       = "WriteDataBucketObjects"
          actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
          resources = [for bucket in local.data_arn[env].buckets : "${bucket}/*"]
        },
        # The bucket's key is in the data account and has a generated id.
        {
          sid       = "UseDataBucketKey"
          actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources = ["arn:${local.partition}:kms:${var.region}:${var.data_account_id}:key/*"]
        },
        {
          sid       = "WriteFunctionLogs"
          actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          resources = [for group in values(module.stack_names[env].function_log_groups) : "arn:${local.partition}:logs:${var.region}:${var.workload_account_id}:log-group:${group}:*"]
        },
        # X-Ray's trace APIs support no resource-level permissions.
        {
          sid       = "SendTraces"
          actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
          resources = ["*"]
        },
      ]
    }
  }

  # The condition of every statement that lets the apply role give a role permissions: the role
  # carries this environment's permissions boundary.
  with_boundary = {
    for env in var.environments : env => { test = "StringEquals", variable = "iam:PermissionsBoundary", values = [local.workload_arn[env].boundary] }
  }

  # The statement lists each workload role's policy merges, in order: the fence, what every mode
  # reads, then what the mode adds (the plan role's on top of the pull-request role's).
  workload_read_lists = ["environment-fence", "monitoring-read", "jobs-read", "workload-read-tagged", "workload-read"]
  workload_policy_lists = {
    pr    = concat(local.workload_read_lists, ["workload-pr"])
    plan  = concat(local.workload_read_lists, ["workload-pr", "workload-plan"])
    apply = concat(local.workload_read_lists, ["monitoring-apply", "jobs-apply", "workload-apply-tagged", "workload-apply"])
  }
}

# The pull-request roles trust pull requests, the plan roles the drift environment (the deploy's
# plan job and the drift check), each apply role its environment's jobs only. aud and sub are
# pinned exactly (local.ci_subjects).
data "aws_iam_policy_document" "github_trust" {
  for_each = local.workload_ci_roles
  provider = aws.workload

  statement {
    sid     = { pr = "GitHubPullRequests", plan = "GitHubDriftEnvironment", apply = "GitHubEnvironment" }[each.value.mode]
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
      values   = local.ci_subjects[each.value.env][each.value.mode]
    }
  }
}

# Each role's policy: its mode's statement lists (local.workload_policy_lists), merged in order.
data "aws_iam_policy_document" "workload" {
  for_each = local.workload_ci_roles
  provider = aws.workload

  source_policy_documents = [for list in local.workload_policy_lists[each.value.mode] : data.aws_iam_policy_document.statements["${each.value.env}/${list}"].json]
}

resource "aws_iam_role" "workload" {
  for_each = local.workload_ci_roles
  provider = aws.workload

  name = local.role_names[each.value.env][each.value.mode]
  description = format("GitHub Actions: terraform of %s, %s.", each.value.env, {
    pr    = "pull requests (plan, read-only)"
    plan  = "deploy plan job and drift check"
    apply = "apply jobs in the ${each.value.env} environment"
  }[each.value.mode])
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "workload" {
  for_each = local.workload_ci_roles
  provider = aws.workload

  name   = "terraform-${each.value.mode}"
  role   = aws_iam_role.workload[each.key].id
  policy = data.aws_iam_policy_document.workload[each.key].json
}

# The most any role the stack creates may ever do, whatever policies are put on it: the apply role
# can create and change roles only with this boundary (statement CreateAndChangeBoundedRoles), and
# no CI role may edit this policy. An effective permission must be allowed by both the role's
# policies and the boundary.
data "aws_iam_policy_document" "stack_role_boundary" {
  for_each = toset(var.environments)
  provider = aws.workload

  source_policy_documents = [for list in ["jobs-boundary", "stack-role-boundary"] : data.aws_iam_policy_document.statements["${each.key}/${list}"].json]
}

resource "aws_iam_policy" "stack_role_boundary" {
  for_each = toset(var.environments)
  provider = aws.workload

  name        = local.role_names[each.key].boundary
  description = "Permissions boundary of every role the ${each.key} stack creates."
  policy      = data.aws_iam_policy_document.stack_role_boundary[each.key].json
}
