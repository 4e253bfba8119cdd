# --- Gateway responses: API Gateway's own answers in the function's error format ----------------
#
# Refusals API Gateway makes before or instead of the function (no signature, bad signature,
# unknown key, throttled, quota spent, integration failure...) answer
# {"error": {"code", "message"}} like the function does, so a client parses one shape. The
# message stays API Gateway's ($context.error.messageString is already a quoted JSON string).
# DEFAULT_4XX and DEFAULT_5XX cover every type not listed.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html

locals {
  gateway_response_codes = {
    ACCESS_DENIED                = "access_denied"
    API_CONFIGURATION_ERROR      = "api_configuration_error"
    BAD_REQUEST_BODY             = "invalid_request"
    BAD_REQUEST_PARAMETERS       = "invalid_request"
    DEFAULT_4XX                  = "client_error"
    DEFAULT_5XX                  = "gateway_error"
    EXPIRED_TOKEN                = "expired_token"
    INTEGRATION_FAILURE          = "integration_failure"
    INTEGRATION_TIMEOUT          = "integration_timeout"
    INVALID_API_KEY              = "invalid_api_key"
    INVALID_SIGNATURE            = "invalid_signature"
    MISSING_AUTHENTICATION_TOKEN = "missing_authentication_token"
    QUOTA_EXCEEDED               = "quota_exceeded"
    REQUEST_TOO_LARGE            = "request_too_large"
    RESOURCE_NOT_FOUND           = "not_found"
    THROTTLED                    = "throttled"
    UNAUTHORIZED                 = "unauthorized"
    UNSUPPORTED_MEDIA_TYPE       = "unsupported_media_type"
  }

  # A throttled caller may try again after a second (the stage and usage-plan rates are per
  # second); a spent quota lasts until the period restarts, so it gets no Retry-After.
  gateway_response_headers = {
    THROTTLED = { "gatewayresponse.header.Retry-After" = "'1'" }
  }
}

# Gateway responses take effect only once the API is deployed again
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html): the
# deployment (main.tf) references these resources, so it is created after them and its trigger
# hashes what they answer.

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_response_codes

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key

  response_templates = {
    "application/json" = "{\"error\":{\"code\":\"${each.value}\",\"message\":$context.error.messageString}}"
  }
  response_parameters = lookup(local.gateway_response_headers, each.key, null)
}
