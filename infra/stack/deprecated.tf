# The stack's older variable names, read for one more release (CHANGELOG.md, Deprecated) and then
# deleted with this file (and the new variables' "older name" validations in variables.tf, where
# they must be: a validation of the old variable naming the new one would make a cycle). Each stack
# variable takes its module's name (DEVELOPERS.md, "The stack's variable names"); the old name
# still works: the same value under both names is accepted, two different values are an error, and
# an old name makes the plan warn (a `check` block warns without failing the plan:
# https://developer.hashicorp.com/terraform/language/checks).

variable "object_expiration_days" {
  description = "Deprecated: use current_version_expiration_days (read for this release, CHANGELOG.md)."
  type        = number
  default     = null
}

variable "kms_key_administrator_arns" {
  description = "Deprecated: use bucket_kms_key_administrator_arns (read for this release, CHANGELOG.md)."
  type        = list(string)
  default     = null
}

variable "kms_key_reader_arns" {
  description = "Deprecated: use bucket_kms_key_reader_arns (read for this release, CHANGELOG.md)."
  type        = list(string)
  default     = null
}

variable "alarm_key_administrator_arns" {
  description = "Deprecated: use alarm_kms_key_administrator_arns (read for this release, CHANGELOG.md)."
  type        = list(string)
  default     = null
}

variable "alarm_key_reader_arns" {
  description = "Deprecated: use alarm_kms_key_reader_arns (read for this release, CHANGELOG.md)."
  type        = list(string)
  default     = null
}

locals {
  # What the modules get: the new name first, then the old one, then the default. A list left
  # empty under its new name is the default, so the old name fills it.
  current_version_expiration_days   = coalesce(var.current_version_expiration_days, var.object_expiration_days, 30)
  bucket_kms_key_administrator_arns = length(var.bucket_kms_key_administrator_arns) > 0 ? var.bucket_kms_key_administrator_arns : coalesce(var.kms_key_administrator_arns, [])
  bucket_kms_key_reader_arns        = length(var.bucket_kms_key_reader_arns) > 0 ? var.bucket_kms_key_reader_arns : coalesce(var.kms_key_reader_arns, [])
  alarm_kms_key_administrator_arns  = length(var.alarm_kms_key_administrator_arns) > 0 ? var.alarm_kms_key_administrator_arns : coalesce(var.alarm_key_administrator_arns, [])
  alarm_kms_key_reader_arns         = length(var.alarm_kms_key_reader_arns) > 0 ? var.alarm_kms_key_reader_arns : coalesce(var.alarm_key_reader_arns, [])

  # Old name => new name, for the warning below.
  deprecated_variables_set = [for old, new in {
    object_expiration_days       = var.object_expiration_days == null ? null : "current_version_expiration_days"
    kms_key_administrator_arns   = var.kms_key_administrator_arns == null ? null : "bucket_kms_key_administrator_arns"
    kms_key_reader_arns          = var.kms_key_reader_arns == null ? null : "bucket_kms_key_reader_arns"
    alarm_key_administrator_arns = var.alarm_key_administrator_arns == null ? null : "alarm_kms_key_administrator_arns"
    alarm_key_reader_arns        = var.alarm_key_reader_arns == null ? null : "alarm_kms_key_reader_arns"
  } : "${old} (use ${new})" if new != null]
}

check "deprecated_variable_names" {
  assert {
    condition     = length(local.deprecated_variables_set) == 0
    error_message = "Deprecated variable names, read for this release only (CHANGELOG.md): ${join(", ", local.deprecated_variables_set)}."
  }
}
