# Validated where a person sets them: the data-bucket and monitoring modules' `kms_key_*_arns`; the
# account and partition come from the provider (an internal module repeats no caller's validation).

variable "account_id" {
  description = "The account that owns the key: its root gets every key action, which lets the account's IAM policies grant access to the key."
  type        = string
}

variable "partition" {
  description = "The key's AWS partition (`aws`, `aws-cn`, `aws-us-gov`)."
  type        = string
  default     = "aws"
}

variable "administrator_arns" {
  description = "IAM roles that administer the key through this policy alone (no identity policy needed): the CI apply role."
  type        = list(string)
  default     = []
}

variable "reader_arns" {
  description = "IAM roles that read the key's settings (what `terraform plan` refreshes) through this policy: the CI plan roles."
  type        = list(string)
  default     = []
}
