variable "account_id" {
  description = "The account that owns the key: its root gets every key action, which lets the account's IAM policies grant access to the key."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "partition" {
  description = "The key's AWS partition (`aws`, `aws-cn`, `aws-us-gov`)."
  type        = string
  default     = "aws"

  validation {
    condition     = can(regex("^aws(-[a-z]+)*$", var.partition))
    error_message = "partition must be an AWS partition such as aws, aws-cn or aws-us-gov."
  }
}

variable "administrator_arns" {
  description = "IAM roles that administer the key through this policy alone (no identity policy needed): the CI apply role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "administrator_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "reader_arns" {
  description = "IAM roles that read the key's settings (what `terraform plan` refreshes) through this policy: the CI plan roles."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.reader_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "reader_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}
