variable "name" {
  description = "Name prefix of every resource (e.g. randfile-dev)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,40}$", var.name))
    error_message = "name must be 1-40 letters, digits or hyphens."
  }
}

variable "environment" {
  description = "Value of the `environment` dimension the function's metrics carry (RANDFILE_ENVIRONMENT)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's own metrics (randfile.metrics.NAMESPACE)."
  type        = string
  default     = "randfile"
}

variable "function_name" {
  description = "Name of the Lambda function watched."
  type        = string
}

variable "worker_function_name" {
  description = "Name of the worker function, which runs asynchronous jobs (charted on the dashboard)."
  type        = string
}

variable "jobs_queue_name" {
  description = "Name of the SQS queue the jobs wait in (the function module's jobs_queue_name); the jobs-oldest-waiting alarm watches the age of its oldest message."
  type        = string
}

variable "jobs_dead_letter_queue_name" {
  description = "Name of the jobs queue's dead-letter queue (the function module's jobs_dead_letter_queue_name); the jobs-dead-letter alarm fires when messages stay in it."
  type        = string
}

variable "function_timeout_seconds" {
  description = "The function's timeout; the duration alarm fires at a share of it."
  type        = number

  validation {
    condition     = var.function_timeout_seconds >= 1 && var.function_timeout_seconds <= 900
    error_message = "function_timeout_seconds must be between 1 and 900."
  }
}

variable "function_log_group_name" {
  description = "The function's log group, which the saved Logs Insights queries read."
  type        = string
}

variable "api_name" {
  description = "Name of the REST API (the `ApiName` dimension of API Gateway's metrics)."
  type        = string
}

variable "api_stage_name" {
  description = "Stage of the REST API (the `Stage` dimension)."
  type        = string
}

variable "api_access_log_group_name" {
  description = "The stage's access log group, which the saved Logs Insights queries read."
  type        = string
}

variable "usage_plan_daily_quota" {
  description = "Requests per day the usage plan allows; the quota alarm fires at a share of it."
  type        = number

  validation {
    condition     = var.usage_plan_daily_quota >= 1
    error_message = "usage_plan_daily_quota must be at least 1."
  }
}

variable "alarm_subscriptions" {
  description = "Who the alarm topic notifies: `email` (confirmed by the recipient) or `https` endpoints."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.alarm_subscriptions : (s.protocol == "email" && can(regex("^[^@\\s]+@[^@\\s]+$", s.endpoint))) || (s.protocol == "https" && startswith(s.endpoint, "https://"))])
    error_message = "Each subscription must be protocol \"email\" with an address, or \"https\" with an https:// URL."
  }
}

variable "create_query_definitions" {
  description = "Save the Logs Insights queries. Their API supports no resource-level permission (a role that may save them may change any in the account): set false where environments share an account."
  type        = bool
  default     = true
}

variable "kms_key_administrator_arns" {
  description = "Roles that administer the alarm topic's key through its key policy (the CI apply role: infra/bootstrap's `stack_inputs[<env>].alarm_kms_key_administrator_arns`). The account root always may, through IAM."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "Each key administrator must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "kms_key_reader_arns" {
  description = "Roles that read the alarm topic's key settings through its key policy (the CI plan role: infra/bootstrap's `stack_inputs[<env>].alarm_kms_key_reader_arns`)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_reader_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "Each key reader must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "api_5xx_rate_threshold" {
  description = "Share of API requests answered 5XX (0-1) over 5 minutes above which the alarm fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.api_5xx_rate_threshold > 0 && var.api_5xx_rate_threshold < 1
    error_message = "api_5xx_rate_threshold must be between 0 and 1, exclusive."
  }
}

variable "function_errors_threshold" {
  description = "Function errors (invocations that crashed, not error answers) in 5 minutes above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.function_errors_threshold >= 0
    error_message = "function_errors_threshold must not be negative."
  }
}

variable "function_throttles_threshold" {
  description = "Throttled invocations in 5 minutes above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.function_throttles_threshold >= 0
    error_message = "function_throttles_threshold must not be negative."
  }
}

variable "duration_timeout_share" {
  description = "Share of the function's timeout (0-1) that the p99 duration over 5 minutes must stay under."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_timeout_share > 0 && var.duration_timeout_share < 1
    error_message = "duration_timeout_share must be between 0 and 1, exclusive."
  }
}

variable "api_4xx_surge_threshold" {
  description = "API requests answered 4XX in 5 minutes above which the alarm fires (abuse or a broken caller)."
  type        = number
  default     = 50

  validation {
    condition     = var.api_4xx_surge_threshold >= 1
    error_message = "api_4xx_surge_threshold must be at least 1."
  }
}

variable "quota_usage_share" {
  description = "Share of the usage plan's daily quota (0-1) that requests over the last 24 hours may reach before the alarm fires."
  type        = number
  default     = 0.8

  validation {
    condition     = var.quota_usage_share > 0 && var.quota_usage_share <= 1
    error_message = "quota_usage_share must be above 0 and at most 1."
  }
}

variable "s3_refusals_threshold" {
  description = "Writes S3 refused (the function's Failures metric, code storage_error) in 5 minutes above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.s3_refusals_threshold >= 0
    error_message = "s3_refusals_threshold must not be negative."
  }
}

variable "jobs_failed_threshold" {
  description = "Jobs that end failed (the worker's JobsFailed metric) in 5 minutes above which the jobs-failed alarm fires; 0 alarms on the first."
  type        = number
  default     = 0

  validation {
    condition     = var.jobs_failed_threshold >= 0 && floor(var.jobs_failed_threshold) == var.jobs_failed_threshold
    error_message = "jobs_failed_threshold must be a whole number, 0 or more."
  }
}

variable "job_oldest_waiting_threshold_seconds" {
  description = "Age in seconds of the oldest message in the jobs queue above which the jobs-oldest-waiting alarm fires. A running job's message counts, and so does a job waiting for its retry: keep it above the bound one job ends within (docs/operations.md, 2973 s with the defaults)."
  type        = number
  default     = 3600

  # SQS keeps a message at most 14 days; 5 minutes is the alarm's period.
  validation {
    condition     = var.job_oldest_waiting_threshold_seconds >= 300 && var.job_oldest_waiting_threshold_seconds <= 1209600 && floor(var.job_oldest_waiting_threshold_seconds) == var.job_oldest_waiting_threshold_seconds
    error_message = "job_oldest_waiting_threshold_seconds must be a whole number of seconds from 300 (the alarm's period) to 1209600 (14 days, SQS's longest retention)."
  }
}

variable "jobs_dead_letter_alarm_periods" {
  description = "Consecutive 5-minute periods a message must stay in the jobs' dead-letter queue before the jobs-dead-letter alarm fires (the worker ends a dead-lettered job within seconds)."
  type        = number
  default     = 3

  validation {
    condition     = var.jobs_dead_letter_alarm_periods >= 1 && var.jobs_dead_letter_alarm_periods <= 288 && floor(var.jobs_dead_letter_alarm_periods) == var.jobs_dead_letter_alarm_periods
    error_message = "jobs_dead_letter_alarm_periods must be a whole number from 1 to 288 (a day of 5-minute periods)."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
