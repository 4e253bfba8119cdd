terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=envs/<env>.s3.tfbackend`.
  backend "s3" {}
}
