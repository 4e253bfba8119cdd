variable "function_name" {
  description = "Name of the API function; also names its log group `/aws/lambda/<function_name>`, the worker `<function_name>-worker`, the jobs table `<function_name>-jobs`, the jobs queue `<function_name>-jobs-queue` and its dead-letter queue `<function_name>-jobs-dead-letter`."
  type        = string

  # 57 leaves room for the worker's "-worker" within Lambda's 64 characters.
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,57}$", var.function_name))
    error_message = "function_name must be 1-57 letters, digits, hyphens or underscores (the worker adds \"-worker\" within Lambda's 64)."
  }
}

variable "role_name" {
  description = "Name of the execution role. The caller chooses it so the bucket policy can name the role ARN before the role exists."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "zip_path" {
  description = "Path of the deployment package that `make build` writes (dist/randfile.zip)."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must name a .zip file."
  }
}

variable "bucket_name" {
  description = "Bucket the function writes to (in the data account)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 characters of lowercase letters, digits, dots and hyphens."
  }
}

variable "bucket_arn" {
  description = "ARN of that bucket; the role may write under `key_prefix` only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN such as arn:aws:s3:::my-bucket."
  }
}

variable "bucket_owner" {
  description = "Account ID that owns the bucket; the function sends it as ExpectedBucketOwner."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.bucket_owner))
    error_message = "bucket_owner must be a 12-digit AWS account ID."
  }
}

variable "key_prefix" {
  description = "Key prefix the function writes under (e.g. `random/`)."
  type        = string
  default     = "random/"

  # The same rule as the function's RANDFILE_KEY_PREFIX check (src/randfile/config.py).
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*/$", var.key_prefix)) && length(var.key_prefix) <= 513 && !strcontains(var.key_prefix, "//")
    error_message = "key_prefix must be an S3 key prefix of safe characters ending with '/', not starting with '/', without an empty segment ('//'), at most 513 characters."
  }
}

variable "kms_key_arn" {
  description = "ARN of the bucket's customer managed KMS key, or null when the bucket uses SSE-S3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or key ID."
  }
}

variable "max_sync_bytes" {
  description = "The synchronous limit: the largest file written during the request (RANDFILE_MAX_SYNC_BYTES); a larger one becomes a job. null: 104857600 (100 MiB), or max_bytes when that older name is set."
  type        = number
  default     = null

  validation {
    condition     = var.max_sync_bytes == null ? true : var.max_sync_bytes >= 1 && var.max_sync_bytes <= 5497558138880 && floor(var.max_sync_bytes) == var.max_sync_bytes
    error_message = "max_sync_bytes must be a whole number from 1 to 5497558138880 (5 TiB, S3's largest object)."
  }
}

variable "max_bytes" {
  description = "Deprecated: the older name of max_sync_bytes, still read for this release (CHANGELOG.md); set max_sync_bytes instead."
  type        = number
  default     = null

  validation {
    condition     = var.max_bytes == null ? true : var.max_bytes >= 1 && var.max_bytes <= 5497558138880 && floor(var.max_bytes) == var.max_bytes
    error_message = "max_bytes must be a whole number from 1 to 5497558138880 (5 TiB, S3's largest object)."
  }
}

variable "max_job_bytes" {
  description = "Largest file an asynchronous job may write (RANDFILE_MAX_JOB_BYTES); the default is 10 GiB. Refused at plan time when the worker cannot write it within worker_timeout, less the time it keeps for CompleteMultipartUpload (min(120 s, 15 % of worker_timeout)), at the throughput docs/performance.md measures (86 MB/s with a full vCPU, less with less memory): at most 67.08 GB with the default 900 s and 1769 MB."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.max_job_bytes >= 1 && var.max_job_bytes <= 5497558138880 && floor(var.max_job_bytes) == var.max_job_bytes
    error_message = "max_job_bytes must be a whole number from 1 to 5497558138880 (5 TiB, S3's largest object)."
  }

  # A job the worker cannot finish before its timeout never succeeds: refuse the size at plan time
  # rather than accept such jobs. The time to write is the timeout less CompleteMultipartUpload's
  # reserve (local.complete_reserve_seconds), the rate docs/performance.md's measured worker
  # throughput (local.worker_bytes_per_second), scaled down with the worker's share of a vCPU
  # below 1769 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
  validation {
    condition     = var.max_job_bytes <= local.max_writable_job_bytes
    error_message = "max_job_bytes ${var.max_job_bytes} cannot be written within worker_timeout: the worker writes about ${floor(local.worker_write_bytes_per_second / 1000000)} MB/s with worker_memory_size ${var.worker_memory_size} MB (docs/performance.md) and keeps ${local.complete_reserve_seconds} s of its ${var.worker_timeout} s for CompleteMultipartUpload (min(120 s, 15 %), AWS documents that it can take minutes), so at most ${local.max_writable_job_bytes} bytes in ${var.worker_timeout - local.complete_reserve_seconds} s. Lower max_job_bytes, or raise worker_timeout (up to 900) or worker_memory_size (up to 1769 MB helps)."
  }
}

variable "max_dataset_files" {
  description = "Most files one dataset may have (RANDFILE_MAX_DATASET_FILES): POST /datasets with a larger count is refused with 400. 10,000 by default; at most 100,000, so that a dataset's item (its chunks' first indexes) stays well within DynamoDB's 400 KB and its fan-out and manifests fit in one worker run."
  type        = number
  default     = 10000

  validation {
    condition     = var.max_dataset_files >= 1 && var.max_dataset_files <= 100000 && floor(var.max_dataset_files) == var.max_dataset_files
    error_message = "max_dataset_files must be a whole number of files from 1 to 100000 (a dataset's chunks are listed in one DynamoDB item and its manifests written by one worker run)."
  }
}

variable "max_dataset_bytes" {
  description = "Most bytes one dataset may hold, all its files together (RANDFILE_MAX_DATASET_BYTES): POST /datasets whose sizes add up to more is refused with 400. 1 TiB (1099511627776) by default; at most 1 PiB. Each file is also at most max_job_bytes."
  type        = number
  default     = 1099511627776

  validation {
    condition     = var.max_dataset_bytes >= 1 && var.max_dataset_bytes <= 1125899906842624 && floor(var.max_dataset_bytes) == var.max_dataset_bytes
    error_message = "max_dataset_bytes must be a whole number of bytes from 1 to 1125899906842624 (1 PiB); the default, 1099511627776, is 1 TiB."
  }
}

variable "job_retention_days" {
  description = "Days a job's record (its status) is kept before DynamoDB's TTL removes it (RANDFILE_JOB_RETENTION_DAYS); after that its id is 404."
  type        = number
  default     = 7

  validation {
    condition     = var.job_retention_days >= 1 && var.job_retention_days <= 365 && floor(var.job_retention_days) == var.job_retention_days
    error_message = "job_retention_days must be a whole number of days from 1 to 365."
  }
}

variable "jobs_table_deletion_protection" {
  description = "Turn on DynamoDB deletion protection for the jobs table: DeleteTable is refused until a change turns it off."
  type        = bool
  default     = false
}

variable "jobs_table_point_in_time_recovery" {
  description = "Turn on point-in-time recovery for the jobs table (restore to any second of the last 35 days)."
  type        = bool
  default     = true
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout in seconds. API Gateway stops waiting after 29 s, so larger values only help direct invokes."
  type        = number
  default     = 29

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "worker_timeout" {
  description = "Timeout of the worker in seconds: how long one job may take (it stops cleanly before). Lambda allows at most 900."
  type        = number
  default     = 900

  validation {
    condition     = var.worker_timeout >= 60 && var.worker_timeout <= 900 && floor(var.worker_timeout) == var.worker_timeout
    error_message = "worker_timeout must be a whole number of seconds from 60 to 900."
  }
}

variable "worker_memory_size" {
  description = "Memory of the worker in MB, apart from the API function's memory_size. CPU scales with it (1769 MB is one vCPU), and with it the rate at which a job is written, which max_job_bytes is checked against; the parts in flight need about 100 MB (docs/performance.md)."
  type        = number
  default     = 1769

  validation {
    condition     = var.worker_memory_size >= 128 && var.worker_memory_size <= 10240 && floor(var.worker_memory_size) == var.worker_memory_size
    error_message = "worker_memory_size must be a whole number of MB from 128 to 10240 (Lambda's limits)."
  }
}

variable "worker_max_concurrency" {
  description = "Most worker runs the jobs queue's event source mapping starts at once (its scaling_config maximum_concurrency): the jobs' share of the account's Lambda concurrency, the rest staying with the API function. More waiting jobs wait in the queue."
  type        = number
  default     = 2

  # AWS's range for an SQS event source mapping's maximum concurrency.
  # https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html
  validation {
    condition     = var.worker_max_concurrency >= 2 && var.worker_max_concurrency <= 1000 && floor(var.worker_max_concurrency) == var.worker_max_concurrency
    error_message = "worker_max_concurrency must be a whole number from 2 to 1000 (the range AWS accepts for an SQS event source mapping's maximum concurrency)."
  }
}

variable "job_max_receive_count" {
  description = "Deliveries of a job's message before SQS moves it to the dead-letter queue, where the worker ends the job `failed` (the redrive policy's maxReceiveCount): the attempts a job gets. A job ends within job_max_receive_count x (worker_timeout x 1.1 + 1 s) plus the dead-letter queue's polling (docs/operations.md)."
  type        = number
  default     = 3

  validation {
    condition     = var.job_max_receive_count >= 1 && var.job_max_receive_count <= 10 && floor(var.job_max_receive_count) == var.job_max_receive_count
    error_message = "job_max_receive_count must be a whole number from 1 to 10."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (caps how many copies run, write and bill at once); null reserves none. A reservation is checked at plan time against the account's Lambda concurrency quota, read from Service Quotas: AWS refuses one that leaves fewer than min(100, quota) executions unreserved, so on a new account with a quota of 10 nothing can be reserved."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || (try(var.reserved_concurrency >= 1, false) && try(floor(var.reserved_concurrency) == var.reserved_concurrency, false))
    error_message = "reserved_concurrency must be null (no reservation) or a whole number >= 1 (0 would throttle every call)."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy set as permissions boundary of the execution role; null sets none. The CI apply role may create roles only with its environment's boundary."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "log_retention_days" {
  description = "Retention of both functions' log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "environment" {
  description = "Environment name the function's metrics carry as their `environment` dimension (RANDFILE_ENVIRONMENT); null leaves it unset and the metrics say `undefined`."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
