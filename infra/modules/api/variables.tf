variable "name" {
  description = "Name of the REST API; also names its usage plan, API key and log groups."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "function_name" {
  description = "Name of the Lambda function behind `POST /files` (for its invoke permission)."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of that function (the AWS_PROXY integration URI)."
  type        = string
}

variable "authorization" {
  description = "Authorization of `POST /files`: `AWS_IAM` (SigV4-signed callers listed in `invoke_principals`) or `NONE` (anyone holding the API key)."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.authorization)
    error_message = "authorization must be AWS_IAM or NONE."
  }
}

variable "invoke_principals" {
  description = "Who may invoke the API with `AWS_IAM` authorization: 12-digit account IDs and/or IAM role or user ARNs. Written into the API's resource policy."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for principal in var.invoke_principals :
      can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+))$", principal))
    ])
    error_message = "Each invoke_principals entry must be a 12-digit account ID or an IAM root, role or user ARN."
  }

  validation {
    condition     = var.authorization != "AWS_IAM" || length(var.invoke_principals) > 0
    error_message = "With AWS_IAM authorization, invoke_principals must name at least one account or role; an empty list would deny everyone."
  }
}

variable "api_key_required" {
  description = "Require an API key on `POST /files`. One key is created and attached to the usage plan; usage plans enforce their quota only on requests that carry a key."
  type        = bool
  default     = true

  validation {
    condition     = var.api_key_required || var.authorization == "AWS_IAM"
    error_message = "authorization NONE without an API key would leave the API open to anyone: keep api_key_required = true or use AWS_IAM."
  }
}

variable "stage_name" {
  description = "Name of the stage that the custom domain maps to."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state request rate limit (requests per second) for every caller together."
  type        = number
  default     = 10

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be greater than 0."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests) for every caller together."
  type        = number
  default     = 20

  validation {
    condition     = var.throttling_burst_limit >= 1 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number >= 1."
  }
}

variable "usage_plan_rate_limit" {
  description = "Per-API-key steady-state request rate limit (requests per second) of the usage plan."
  type        = number
  default     = 5

  validation {
    condition     = var.usage_plan_rate_limit > 0
    error_message = "usage_plan_rate_limit must be greater than 0."
  }
}

variable "usage_plan_burst_limit" {
  description = "Per-API-key burst limit (requests) of the usage plan."
  type        = number
  default     = 10

  validation {
    condition     = var.usage_plan_burst_limit >= 1 && floor(var.usage_plan_burst_limit) == var.usage_plan_burst_limit
    error_message = "usage_plan_burst_limit must be a whole number >= 1."
  }
}

variable "usage_plan_daily_quota" {
  description = "Requests per API key per day; beyond it API Gateway answers 429 until the quota period restarts."
  type        = number
  default     = 1000

  validation {
    condition     = var.usage_plan_daily_quota >= 1 && floor(var.usage_plan_daily_quota) == var.usage_plan_daily_quota
    error_message = "usage_plan_daily_quota must be a whole number >= 1."
  }
}

variable "access_log_retention_days" {
  description = "Retention of the stage's access log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "hosted_zone_name" {
  description = "Name of the existing public Route53 hosted zone that holds `domain_name` (e.g. `example.com`)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}\\.?$", var.hosted_zone_name))
    error_message = "hosted_zone_name must be a lowercase DNS name such as example.com."
  }
}

variable "domain_name" {
  description = "Custom domain of the API (e.g. `files.example.com`), inside `hosted_zone_name`."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as files.example.com, without a trailing dot."
  }

  validation {
    condition     = endswith(var.domain_name, ".${trimsuffix(var.hosted_zone_name, ".")}")
    error_message = "domain_name must be a name inside hosted_zone_name."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports them (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
