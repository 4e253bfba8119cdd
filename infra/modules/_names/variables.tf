# Validated where a person sets them: infra/stack's `environment`, infra/bootstrap's `environments`
# and `name_prefix` (an internal module repeats no caller's validation).

variable "environment" {
  description = "The environment (`dev`, `prod`, `local`...): the second word of every name."
  type        = string
}

variable "prefix" {
  description = "The first word of every name: infra/bootstrap's `name_prefix`; the stack keeps the default."
  type        = string
  default     = "randfile"
}
