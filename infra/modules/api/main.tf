data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  invoke_principals = [
    for principal in var.invoke_principals :
    can(regex("^[0-9]{12}$", principal)) ? "arn:${local.partition}:iam::${principal}:root" : principal
  ]

  # The API's resources by name (files, job, datasets, dataset), for the routes below.
  resources = merge(aws_api_gateway_resource.collection, aws_api_gateway_resource.item)

  # Every route, each served by the function through a Lambda proxy integration with the same
  # authorization and API key. statement_id is the Lambda permission's: a new one would replace
  # the permission on AWS, so each keeps the one it was created with.
  routes = {
    post_files = {
      http_method    = "POST"
      resource       = "files"
      path_parameter = null
      statement_id   = "AllowInvokeFromApiGatewayPostFiles"
    }
    # An asynchronous job's status: whoever may create a job may read it, and nobody else.
    get_job = {
      http_method    = "GET"
      resource       = "job"
      path_parameter = "job_id"
      statement_id   = "AllowInvokeFromApiGatewayGetJob"
    }
    # Datasets: many files from one request (the usage plan covers the whole stage).
    post_datasets = {
      http_method    = "POST"
      resource       = "datasets"
      path_parameter = null
      statement_id   = "AllowInvokeFromApiGatewayPostDatasets"
    }
    get_dataset = {
      http_method    = "GET"
      resource       = "dataset"
      path_parameter = "dataset_id"
      statement_id   = "AllowInvokeFromApiGatewayGetDataset"
    }
  }

  # Each route's method as execute-api ARNs name it ("GET/files/*"): a path parameter is any one
  # segment, which an ARN can only match with "*".
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
  route_paths = {
    for name, route in local.routes :
    name => "${aws_api_gateway_method.this[name].http_method}${replace(local.resources[route.resource].path, "/\\{[^/]+\\}/", "*")}"
  }
  method_arns = [
    for name in local.route_order :
    "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/${local.route_paths[name]}"
  ]

  # The routes in the order the module listed them before they were one map, any route added
  # since after them: the deployment's trigger hashes them in this order, so the same routes give
  # the same hash and the change to a map redeployed no stage.
  route_order = distinct(concat(["post_files", "get_job", "post_datasets", "get_dataset"], keys(local.routes)))
}

# --- REST API: POST /files, GET /files/{job_id}, POST /datasets, GET /datasets/{dataset_id} ------
# --- -> Lambda proxy ---------------------------------------------------------------------------

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Writes files of random bytes: POST /files, GET /files/{job_id}, POST /datasets, GET /datasets/{dataset_id}"
  # Only the custom domain answers; the default execute-api host would bypass its TLS policy.
  disable_execute_api_endpoint = true
  tags                         = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  # A replacement API is created and mapped to the domain before the old one goes away.
  lifecycle {
    create_before_destroy = true
  }
}

# The API's resources, a tree two levels deep: a collection under the root for each kind of object
# (/files, /datasets) and under each collection its item, named by the id a POST answers
# (/files/{job_id}, /datasets/{dataset_id}). A resource cannot be the parent of its own instances,
# so the items are a second resource below the first.
resource "aws_api_gateway_resource" "collection" {
  for_each = toset(["files", "datasets"])

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_resource" "item" {
  for_each = {
    job     = { collection = "files", path_part = "{job_id}" }
    dataset = { collection = "datasets", path_part = "{dataset_id}" }
  }

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.collection[each.value.collection].id
  path_part   = each.value.path_part
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV2_AWS_53:Lambda proxy integration: the function validates every request itself, a POST's JSON body (400 with a reason; a model here would duplicate that contract) and a GET's job or dataset id (a ULID, 404 without reading the store; a validator could only check that the segment is present, which routing already does).
  for_each = local.routes

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = local.resources[each.value.resource].id
  http_method      = each.value.http_method
  authorization    = var.authorization
  api_key_required = var.api_key_required

  request_parameters = each.value.path_parameter == null ? null : {
    "method.request.path.${each.value.path_parameter}" = true
  }
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = local.resources[each.value.resource].id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.function_invoke_arn
}

resource "aws_lambda_permission" "this" {
  for_each = local.routes

  statement_id  = each.value.statement_id
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/${local.route_paths[each.key]}"
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "InvokeFiles"
    actions   = ["execute-api:Invoke"]
    resources = local.method_arns

    principals {
      # Without IAM authorization callers are anonymous, so only "*" can match; the API key and
      # the usage plan are then what limit them.
      type        = var.authorization == "AWS_IAM" ? "AWS" : "*"
      identifiers = var.authorization == "AWS_IAM" ? local.invoke_principals : ["*"]
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.invoke.json
}

# --- Deployment and stage ---------------------------------------------------------------------

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform: replaced when the API's definition changes"

  # A deployment is a snapshot of the API when it is created: a change to a method, integration,
  # gateway response or the resource policy is served only once the API is deployed again
  # (https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html). So the
  # trigger references every resource the deployment must carry, which also orders its creation
  # after all of them (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_deployment):
  # a hash of locals alone let the first deployment race the gateway responses' PUTs and never
  # carry them. The IDs change when an object is replaced; the attributes are what can change in
  # place. Whole resources are not hashed, and optional attributes are read with null, "" and {}
  # alike: a refresh fills in empty defaults, which would redeploy on every plan.
  triggers = {
    redeployment = sha1(jsonencode(concat(
      flatten([
        for name in local.route_order : [
          local.resources[local.routes[name].resource].id,
          aws_api_gateway_method.this[name].id,
          aws_api_gateway_method.this[name].authorization,
          aws_api_gateway_method.this[name].api_key_required,
          # Hashed only where a route has a path parameter, as before the map (the same hash).
          local.routes[name].path_parameter == null ? [] : [merge({}, aws_api_gateway_method.this[name].request_parameters)],
          aws_api_gateway_integration.this[name].id,
          aws_api_gateway_integration.this[name].uri,
        ]
      ]),
      [
        aws_api_gateway_rest_api_policy.this.id,
        data.aws_iam_policy_document.invoke.json,
        {
          for type, response in aws_api_gateway_gateway_response.this : type => [
            response.id,
            response.status_code == null ? "" : response.status_code,
            merge({}, response.response_templates),
            merge({}, response.response_parameters),
          ]
        },
    ])))
  }

  lifecycle {
    create_before_destroy = true
  }
}

# The stage's log groups, both kept access_log_retention_days: its access log, and the execution
# log. With logging_level set (aws_api_gateway_method_settings.all), API Gateway writes execution
# logs to that group and, if it does not exist, creates it itself with no retention: created here
# first so retention is ours.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
resource "aws_cloudwatch_log_group" "stage" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; access logs hold request metadata and execution logs at ERROR request ids and error messages, no secrets, so a customer key adds cost and no protection.
  for_each = {
    access    = "/aws/apigateway/${var.name}/${var.stage_name}/access"
    execution = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  }

  name              = each.value
  retention_in_days = var.access_log_retention_days
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Every POST creates a new object; cached responses would be wrong, not faster.
  #checkov:skip=CKV2_AWS_29:No WAF by default for cost: IAM authorization, the resource policy, throttling and the usage plan quota bound who calls and how much.
  #checkov:skip=CKV2_AWS_51:The backend is a Lambda proxy integration, not an HTTP endpoint that could check a client certificate.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true
  tags                 = var.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.stage["access"].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      path               = "$context.path"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      sourceIp           = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      caller             = "$context.identity.caller"
      userArn            = "$context.identity.userArn"
      apiKeyId           = "$context.identity.apiKeyId"
      errorMessage       = "$context.error.message"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      integrationError   = "$context.integration.error"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  # Access logging fails until the account-wide CloudWatch role is set: infra/bootstrap sets it.
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Every POST creates a new object; cached responses would be wrong, not faster.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }

  # The execution log group first, with its retention (above).
  depends_on = [aws_cloudwatch_log_group.stage]
}

# --- Account-wide CloudWatch role ------------------------------------------------------------

# API Gateway's CloudWatch role is one setting per account and region: infra/bootstrap manages it
# (api_gateway_account.tf), so two environments sharing an account no longer overwrite it in turn.
# A stack deployed before forgets the setting without resetting it; its role and the role's policy
# attachment are destroyed with the module's former configuration, after the bootstrap has
# pointed the setting at its own role (infra/bootstrap/README.md, "Upgrading").
removed {
  from = aws_api_gateway_account.this

  lifecycle {
    destroy = false
  }
}

# --- Usage plan and API key -------------------------------------------------------------------

resource "aws_api_gateway_usage_plan" "this" {
  name        = var.name
  description = "Per-key throttle and daily quota of ${var.name}"
  tags        = var.tags

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.usage_plan_rate_limit
    burst_limit = var.usage_plan_burst_limit
  }

  quota_settings {
    limit  = var.usage_plan_daily_quota
    period = "DAY"
  }
}

# API Gateway generates the key's value; it stays in state and is never an output.
resource "aws_api_gateway_api_key" "this" {
  count = var.api_key_required ? 1 : 0

  name        = var.name
  description = "Key of the ${var.name} usage plan"
  enabled     = true
  tags        = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  count = var.api_key_required ? 1 : 0

  key_id        = aws_api_gateway_api_key.this[0].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

# --- Custom domain ------------------------------------------------------------------------------

data "aws_route53_zone" "this" {
  name         = var.hosted_zone_name
  private_zone = false
}

resource "aws_acm_certificate" "this" {
  domain_name       = var.domain_name
  validation_method = "DNS"
  tags              = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option
  }

  zone_id         = data.aws_route53_zone.this.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_api_gateway_domain_name" "this" {
  domain_name              = var.domain_name
  regional_certificate_arn = aws_acm_certificate_validation.this.certificate_arn
  security_policy          = "TLS_1_2"
  tags                     = var.tags

  # Dual-stack, so the AAAA alias below has an IPv6 target: an IPv4-only domain answers no AAAA.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-custom-domain-ip-address-type.html
  endpoint_configuration {
    types           = ["REGIONAL"]
    ip_address_type = "dualstack"
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this.domain_name
}

resource "aws_route53_record" "alias" {
  for_each = toset(["A", "AAAA"])

  zone_id = data.aws_route53_zone.this.zone_id
  name    = aws_api_gateway_domain_name.this.domain_name
  type    = each.key

  alias {
    name                   = aws_api_gateway_domain_name.this.regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this.regional_zone_id
    evaluate_target_health = false
  }
}
