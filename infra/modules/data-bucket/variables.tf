variable "name" {
  description = "Base name (e.g. `randfile-dev`); the bucket is `<name>-<account id>-<region>` unless `bucket_name` is set."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be 1-31 characters of lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "bucket_name" {
  description = "Explicit bucket name. Null derives a deterministic, globally unique name from `name`, the account and the region."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 characters of lowercase letters, digits, dots and hyphens."
  }
}

variable "writer_role_arn" {
  description = "ARN of the IAM role (in the workload account) allowed to write objects. A string, so the role may be created later in the same apply."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.writer_role_arn))
    error_message = "writer_role_arn must be an IAM role ARN such as arn:aws:iam::111111111111:role/name."
  }
}

variable "key_prefix" {
  description = "Key prefix the writer may write under (e.g. `random/`)."
  type        = string
  default     = "random/"

  # The same rule as the function's RANDFILE_KEY_PREFIX check (src/randfile/config.py).
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*/$", var.key_prefix)) && length(var.key_prefix) <= 513 && !strcontains(var.key_prefix, "//")
    error_message = "key_prefix must be an S3 key prefix of safe characters ending with '/', not starting with '/', without an empty segment ('//'), at most 513 characters."
  }
}

variable "kms_encryption" {
  description = "Encrypt with a customer managed KMS key created in the data account (SSE-KMS) instead of SSE-S3."
  type        = bool
  default     = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the KMS key is deleted once scheduled for deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "current_version_expiration_days" {
  description = "Days after which current object versions expire."
  type        = number
  default     = 30

  validation {
    condition     = var.current_version_expiration_days >= 1 && floor(var.current_version_expiration_days) == var.current_version_expiration_days
    error_message = "current_version_expiration_days must be a whole number >= 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects. Keep false outside throw-away environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "kms_key_administrator_arns" {
  description = "IAM roles of the bucket's account named in the key policy as the key's administrators (the CI apply role: create, rotate, tag, alias, schedule deletion; never encrypt or decrypt). Used when kms_encryption is true."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_key_administrator_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "kms_key_reader_arns" {
  description = "IAM roles of the bucket's account named in the key policy as readers of the key's settings (the CI plan role: describe, key policy, rotation status, tags). Used when kms_encryption is true."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.kms_key_reader_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_key_reader_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}
