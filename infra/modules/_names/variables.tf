variable "environment" {
  description = "The environment (`dev`, `prod`, `local`...): the second word of every name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "prefix" {
  description = "The first word of every name: infra/bootstrap's `name_prefix`; the stack keeps the default."
  type        = string
  default     = "randfile"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.prefix))
    error_message = "prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}
