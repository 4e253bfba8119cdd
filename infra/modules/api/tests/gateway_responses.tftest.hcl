# API Gateway's own answers (missing or bad signature, unknown key, throttling, quota, integration
# failures, and every other 4XX/5XX through the defaults) use the function's error format:
# {"error": {"code", "message"}}, the message being API Gateway's.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "every_refusal_answers_in_the_error_format" {
  command = plan

  assert {
    condition = alltrue([
      for type in ["DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "ACCESS_DENIED", "INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "API_CONFIGURATION_ERROR"] :
      contains(keys(aws_api_gateway_gateway_response.this), type)
    ])
    error_message = "The defaults and every refusal a caller of POST /files can meet must have a gateway response."
  }

  assert {
    condition = alltrue([
      for type, response in aws_api_gateway_gateway_response.this :
      response.rest_api_id == aws_api_gateway_rest_api.this.id && response.response_type == type
    ])
    error_message = "The gateway responses must belong to this API, one per type."
  }

  # API Gateway substitutes $context.error.messageString with the message as a quoted JSON string.
  assert {
    condition = alltrue([
      for type, response in aws_api_gateway_gateway_response.this :
      jsondecode(replace(response.response_templates["application/json"], "$context.error.messageString", "\"Too \\\"many\\\" requests\"")) == {
        error = { code = local.gateway_response_codes[type], message = "Too \"many\" requests" }
      }
    ])
    error_message = "Each template must render {\"error\": {\"code\", \"message\"}} with API Gateway's message, whatever it contains."
  }

  assert {
    condition = [
      aws_api_gateway_gateway_response.this["MISSING_AUTHENTICATION_TOKEN"].response_templates["application/json"],
      aws_api_gateway_gateway_response.this["THROTTLED"].response_templates["application/json"],
      aws_api_gateway_gateway_response.this["QUOTA_EXCEEDED"].response_templates["application/json"],
      ] == [
      "{\"error\":{\"code\":\"missing_authentication_token\",\"message\":$context.error.messageString}}",
      "{\"error\":{\"code\":\"throttled\",\"message\":$context.error.messageString}}",
      "{\"error\":{\"code\":\"quota_exceeded\",\"message\":$context.error.messageString}}",
    ]
    error_message = "Codes are snake_case like the function's (clients retry on throttled, not on quota_exceeded)."
  }

  assert {
    condition     = aws_api_gateway_gateway_response.this["THROTTLED"].response_parameters == tomap({ "gatewayresponse.header.Retry-After" = "'1'" })
    error_message = "A throttled caller must be told when to retry (Retry-After: 1)."
  }

  assert {
    condition = alltrue([
      for type, response in aws_api_gateway_gateway_response.this :
      response.response_parameters == null || type == "THROTTLED"
    ])
    error_message = "Only THROTTLED carries Retry-After: a spent quota lasts until its period restarts."
  }

  assert {
    condition     = alltrue([for response in aws_api_gateway_gateway_response.this : response.status_code == null])
    error_message = "Gateway responses must keep API Gateway's status codes (a status on DEFAULT_4XX would replace every 4XX)."
  }
}
