terraform {
  # No provider: this module only renders a document.
  required_version = ">= 1.10"
}
