# --- Where ----------------------------------------------------------------------------------------

variable "environment" {
  description = "Environment name (dev, prod, ...); part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of both accounts' resources."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "workload_account_id" {
  description = "Account that runs the API and the function. The aws.workload provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.workload_account_id))
    error_message = "workload_account_id must be a 12-digit AWS account ID."
  }
}

variable "data_account_id" {
  description = "Account that owns the bucket. The aws.data provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.data_account_id))
    error_message = "data_account_id must be a 12-digit AWS account ID."
  }
}

variable "workload_role_arn" {
  description = "Role the aws.workload provider assumes; null uses the ambient credentials as they are. Ephemeral: a saved plan does not record it, so the apply job passes its own role, not the plan job's."
  type        = string
  default     = null
  ephemeral   = true

  validation {
    condition     = var.workload_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.workload_role_arn))
    error_message = "workload_role_arn must be null or an IAM role ARN."
  }
}

variable "data_role_arn" {
  description = "Role the aws.data provider assumes; null uses the ambient credentials as they are. Ephemeral: a saved plan does not record it, so the apply job passes its own role, not the plan job's."
  type        = string
  default     = null
  ephemeral   = true

  validation {
    condition     = var.data_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.data_role_arn))
    error_message = "data_role_arn must be null or an IAM role ARN."
  }
}

variable "repository" {
  description = "Source repository (owner/name), recorded in the `repository` tag."
  type        = string

  validation {
    condition     = length(trimspace(var.repository)) > 0
    error_message = "repository must not be empty."
  }
}

# --- Custom domain --------------------------------------------------------------------------------

variable "hosted_zone_name" {
  description = "Existing public Route53 hosted zone in the workload account (e.g. example.com)."
  type        = string
}

variable "domain_name" {
  description = "Custom domain of the API (e.g. files.example.com), inside hosted_zone_name."
  type        = string
}

# --- Function -------------------------------------------------------------------------------------

variable "function_zip_path" {
  description = "Deployment package written by `make build`, relative to infra/stack."
  type        = string
  default     = "../../dist/randfile.zip"
}

variable "key_prefix" {
  description = "Key prefix the function writes under; the only place the bucket lets it write."
  type        = string
  default     = "random/"
}

variable "max_sync_bytes" {
  description = "The synchronous limit: the largest file written during the request (RANDFILE_MAX_SYNC_BYTES); a larger one becomes a job. null: 104857600 (100 MiB), or max_bytes when that older name is set."
  type        = number
  default     = null
}

variable "max_bytes" {
  description = "Deprecated: the older name of max_sync_bytes, still read for this release (CHANGELOG.md); set max_sync_bytes instead."
  type        = number
  default     = null
}

variable "max_job_bytes" {
  description = "Largest file an asynchronous job may write (RANDFILE_MAX_JOB_BYTES): 10 GiB by default. docs/security.md's ceilings and docs/performance.md's throughput follow from it; refused at plan time when the worker cannot write it within worker_timeout less the time it keeps for CompleteMultipartUpload (about 67 GB with 900 s and 1769 MB)."
  type        = number
  default     = 10737418240
}

variable "max_dataset_files" {
  description = "Most files one dataset may have (RANDFILE_MAX_DATASET_FILES, 1-100000): POST /datasets with a larger count is refused with 400. docs/security.md's ceilings follow from it."
  type        = number
  default     = 10000
}

variable "max_dataset_bytes" {
  description = "Most bytes one dataset may hold, all its files together (RANDFILE_MAX_DATASET_BYTES, at most 1 PiB): 1 TiB by default. Each file is also at most max_job_bytes; docs/security.md's ceilings follow from it."
  type        = number
  default     = 1099511627776
}

variable "job_retention_days" {
  description = "Days a job's status stays readable (GET /files/{job_id}) before the jobs table's TTL removes it."
  type        = number
  default     = 7
}

variable "worker_timeout" {
  description = "Timeout of the worker that runs asynchronous jobs, in seconds (60-900)."
  type        = number
  default     = 900
}

variable "worker_memory_size" {
  description = "Memory of the worker that runs asynchronous jobs, in MB (128-10240), apart from the API function's. CPU scales with it (1769 MB is one vCPU), and max_job_bytes must be writable within worker_timeout at the rate it gives (docs/performance.md; checked at plan time by the function module)."
  type        = number
  default     = 1769
}

variable "worker_max_concurrency" {
  description = "Most worker runs the jobs queue starts at once (2-1000): the jobs' share of the account's Lambda concurrency, the rest staying with the API function (docs/security.md)."
  type        = number
  default     = 2
}

variable "job_max_receive_count" {
  description = "Attempts a job gets (1-10) before its message moves to the dead-letter queue and the job ends failed; with worker_timeout it sets the bound a job ends within (docs/operations.md)."
  type        = number
  default     = 3
}

variable "function_memory_size" {
  description = "Function memory in MB. CPU scales with it: 1769 MB is one full vCPU, which CSV and JSONL generation needs to write files near the 100 MiB cap within API Gateway's 29 s (see docs/performance.md)."
  type        = number
  default     = 1769
}

variable "function_timeout" {
  description = "Function timeout in seconds (API Gateway waits at most 29)."
  type        = number
  default     = 29
}

variable "function_reserved_concurrency" {
  description = "Executions reserved for the function, which also caps how many copies run at once; null reserves none. Checked at plan time against the account's Lambda concurrency quota: new accounts often have 10, and then nothing can be reserved (see the function module)."
  type        = number
  default     = null
}

variable "role_permissions_boundary_arn" {
  description = "Permissions boundary set on every role the stack creates: infra/bootstrap's `stack_inputs[<env>].role_permissions_boundary_arn`. The CI apply role may create roles only with it; null (local or administrator deploys) sets none."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the functions' and the API's log groups, in days."
  type        = number
  default     = 30
}

# --- Bucket ---------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Explicit bucket name; null derives `randfile-<environment>-<data account>-<region>`."
  type        = string
  default     = null
}

variable "kms_encryption" {
  description = "Encrypt objects with a customer managed key in the data account (SSE-KMS) instead of SSE-S3."
  type        = bool
  default     = false
}

variable "bucket_kms_key_administrator_arns" {
  description = "Data-account roles that administer the bucket's key through its key policy (the data-bucket module's kms_key_administrator_arns): infra/bootstrap's `stack_inputs[<env>].bucket_kms_key_administrator_arns` (the data apply role)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.kms_key_administrator_arns == null || length(var.bucket_kms_key_administrator_arns) == 0 || var.kms_key_administrator_arns == var.bucket_kms_key_administrator_arns
    error_message = "kms_key_administrator_arns (deprecated) and bucket_kms_key_administrator_arns are both set, to different values: keep bucket_kms_key_administrator_arns only."
  }
}

variable "bucket_kms_key_reader_arns" {
  description = "Data-account roles that read the bucket key's settings through its key policy (the data-bucket module's kms_key_reader_arns): infra/bootstrap's `stack_inputs[<env>].bucket_kms_key_reader_arns` (the data plan role)."
  type        = list(string)
  default     = []

  # A role that is not in the key policy cannot create the key (KMS's lockout check) or read it:
  # caught here instead of halfway through an apply. The older names count too (deprecated.tf).
  validation {
    condition     = !var.kms_encryption || var.data_role_arn == null || contains(concat(var.bucket_kms_key_administrator_arns, var.bucket_kms_key_reader_arns, coalesce(var.kms_key_administrator_arns, []), coalesce(var.kms_key_reader_arns, [])), coalesce(var.data_role_arn, "-"))
    error_message = "With kms_encryption, the data role Terraform runs as (data_role_arn) must be named in bucket_kms_key_administrator_arns (apply) or bucket_kms_key_reader_arns (plan): copy them from infra/bootstrap's stack_inputs output."
  }

  validation {
    condition     = var.kms_key_reader_arns == null || length(var.bucket_kms_key_reader_arns) == 0 || var.kms_key_reader_arns == var.bucket_kms_key_reader_arns
    error_message = "kms_key_reader_arns (deprecated) and bucket_kms_key_reader_arns are both set, to different values: keep bucket_kms_key_reader_arns only."
  }
}

variable "current_version_expiration_days" {
  description = "Days after which written files expire. null: 30, or object_expiration_days when that older name is set."
  type        = number
  default     = null

  validation {
    condition     = var.object_expiration_days == null || var.current_version_expiration_days == null || var.object_expiration_days == var.current_version_expiration_days
    error_message = "object_expiration_days (deprecated) and current_version_expiration_days are both set, to different values: keep current_version_expiration_days only."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted versions are removed."
  type        = number
  default     = 7
}

variable "bucket_force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (throw-away environments only)."
  type        = bool
  default     = false
}

# --- API ------------------------------------------------------------------------------------------

variable "api_authorization" {
  description = "Authorization of `POST /files`: `AWS_IAM` or `NONE`."
  type        = string
  default     = "AWS_IAM"
}

variable "api_invoke_principals" {
  description = "Account IDs or IAM role/user ARNs allowed to invoke the API; empty means the workload account."
  type        = list(string)
  default     = []
}

variable "api_key_required" {
  description = "Require an API key (one is created and attached to the usage plan, which only meters keyed requests)."
  type        = bool
  default     = true
}

variable "api_stage_name" {
  description = "Name of the API stage behind the custom domain."
  type        = string
  default     = "v1"
}

variable "api_throttling_rate_limit" {
  description = "Stage-wide requests per second."
  type        = number
  default     = 10
}

variable "api_throttling_burst_limit" {
  description = "Stage-wide burst of requests."
  type        = number
  default     = 20
}

variable "api_usage_plan_rate_limit" {
  description = "Per-key requests per second."
  type        = number
  default     = 5
}

variable "api_usage_plan_burst_limit" {
  description = "Per-key burst of requests."
  type        = number
  default     = 10
}

variable "api_usage_plan_daily_quota" {
  description = "Per-key requests per day."
  type        = number
  default     = 1000
}

# --- Monitoring -----------------------------------------------------------------------------------

variable "alarm_kms_key_administrator_arns" {
  description = "Workload-account roles that administer the alarm topic's key through its key policy (the monitoring module's kms_key_administrator_arns): infra/bootstrap's `stack_inputs[<env>].alarm_kms_key_administrator_arns` (the workload apply role)."
  type        = list(string)
  default     = []

  # The bootstrap's apply role manages the key only through its key policy (see the monitoring
  # module), so a CI deploy (one with the bootstrap's boundary) without it fails halfway.
  validation {
    condition     = var.role_permissions_boundary_arn == null || length(concat(var.alarm_kms_key_administrator_arns, coalesce(var.alarm_key_administrator_arns, []))) > 0
    error_message = "A deploy with the bootstrap's CI roles (role_permissions_boundary_arn set) needs alarm_kms_key_administrator_arns: copy it from infra/bootstrap's stack_inputs output."
  }

  validation {
    condition     = alltrue([for arn in concat(var.alarm_kms_key_administrator_arns, coalesce(var.alarm_key_administrator_arns, [])) : can(regex("^arn:aws[a-z-]*:iam::${var.workload_account_id}:role/", arn))])
    error_message = "Each alarm key administrator must be a role ARN in the workload account (workload_account_id)."
  }

  validation {
    condition     = var.alarm_key_administrator_arns == null || length(var.alarm_kms_key_administrator_arns) == 0 || var.alarm_key_administrator_arns == var.alarm_kms_key_administrator_arns
    error_message = "alarm_key_administrator_arns (deprecated) and alarm_kms_key_administrator_arns are both set, to different values: keep alarm_kms_key_administrator_arns only."
  }
}

variable "alarm_kms_key_reader_arns" {
  description = "Workload-account roles that read the alarm topic's key settings through its key policy (the monitoring module's kms_key_reader_arns): infra/bootstrap's `stack_inputs[<env>].alarm_kms_key_reader_arns` (the workload plan and pr roles)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in concat(var.alarm_kms_key_reader_arns, coalesce(var.alarm_key_reader_arns, [])) : can(regex("^arn:aws[a-z-]*:iam::${var.workload_account_id}:role/", arn))])
    error_message = "Each alarm key reader must be a role ARN in the workload account (workload_account_id)."
  }

  validation {
    condition     = var.alarm_key_reader_arns == null || length(var.alarm_kms_key_reader_arns) == 0 || var.alarm_key_reader_arns == var.alarm_kms_key_reader_arns
    error_message = "alarm_key_reader_arns (deprecated) and alarm_kms_key_reader_arns are both set, to different values: keep alarm_kms_key_reader_arns only."
  }
}

variable "create_query_definitions" {
  description = "Save the Logs Insights queries docs/operations.md runs. Their API supports no resource-level permission, so infra/bootstrap grants it only in an account pair that holds one environment (its `unscoped_permissions`): set false where environments share the pair."
  type        = bool
  default     = true
}

variable "alarm_subscriptions" {
  description = "Who the alarm topic notifies (docs/operations.md): `{ protocol = \"email\", endpoint = \"oncall@example.com\" }` or an `https` endpoint."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}

# --- Jobs table -----------------------------------------------------------------------------------

variable "jobs_table_deletion_protection" {
  description = "Refuse DeleteTable on the jobs table (DynamoDB deletion protection): on in prod, where destroying the stack must first turn it off in a reviewed change."
  type        = bool
  default     = false
}

variable "jobs_table_point_in_time_recovery" {
  description = "Keep the jobs table restorable to any second of the last 35 days (DynamoDB point-in-time recovery)."
  type        = bool
  default     = true
}

variable "jobs_failed_threshold" {
  description = "Jobs ending failed in 5 minutes above which the jobs-failed alarm fires (docs/operations.md#jobs-failed)."
  type        = number
  default     = 0
}

variable "job_oldest_waiting_threshold_seconds" {
  description = "Age in seconds of the oldest job in the jobs queue above which the jobs-oldest-waiting alarm fires (docs/operations.md#jobs-oldest-waiting); keep it above the bound a job ends within."
  type        = number
  default     = 3600
}

variable "jobs_dead_letter_alarm_periods" {
  description = "5-minute periods a message must stay in the jobs' dead-letter queue before the jobs-dead-letter alarm fires (docs/operations.md#jobs-dead-letter)."
  type        = number
  default     = 3
}
