terraform {
  # No provider: this module only derives names.
  required_version = ">= 1.10"
}
