# Saved Logs Insights queries (docs/operations.md runs them).

locals {
  queries = {
    failures-by-code = {
      log_groups = [var.function_log_group_name]
      query      = <<-EOT
        fields @timestamp, request_id, status, code, reason
        | filter message = "request failed" or level = "ERROR"
        | stats count(*) as failures by code, status
        | sort failures desc
      EOT
    }
    one-request = {
      log_groups = [var.api_access_log_group_name, var.function_log_group_name]
      query      = <<-EOT
        fields @timestamp, @log, requestId, status, request_id, message, key, code, reason
        | filter requestId = "REPLACE_API_REQUEST_ID" or request_id = "REPLACE_FUNCTION_REQUEST_ID"
        | sort @timestamp asc
      EOT
    }
    slowest-requests = {
      log_groups = [var.function_log_group_name]
      query      = <<-EOT
        filter @type = "REPORT"
        | fields @timestamp, @requestId, @duration, @maxMemoryUsed
        | sort @duration desc
        | limit 20
      EOT
    }
    callers-4xx = {
      log_groups = [var.api_access_log_group_name]
      query      = <<-EOT
        fields @timestamp, status, caller, userArn, apiKeyId, sourceIp, errorMessage
        | filter status >= 400 and status < 500
        | stats count(*) as refused by status, userArn, apiKeyId, sourceIp, errorMessage
        | sort refused desc
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.create_query_definitions ? local.queries : {}

  name            = "${var.name}/${each.key}"
  log_group_names = each.value.log_groups
  query_string    = each.value.query
}
