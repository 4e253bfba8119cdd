# The function writing into a bucket of another account, with the module's defaults (random/
# prefix, 100 MiB cap, 512 MB, 29 s, 10 concurrent copies). Build the package first (make build)
# and pass its path: terraform plan -var zip_path=../../../../../dist/randfile.zip

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform"
  }
}

variable "zip_path" {
  description = "Path of the package `make build` writes (dist/randfile.zip)."
  type        = string
}

module "function" {
  #checkov:skip=CKV_AWS_338:Minimal example: keeps the module's 30-day log retention; examples/complete sets a year.
  source = "../.."

  function_name = "randfile-example"
  role_name     = "randfile-example-function"
  zip_path      = var.zip_path

  bucket_name  = "randfile-example-222222222222-eu-west-1"
  bucket_arn   = "arn:aws:s3:::randfile-example-222222222222-eu-west-1"
  bucket_owner = "222222222222"
}

output "invoke_arn" {
  description = "What an API Gateway integration calls (the api module's function_invoke_arn)."
  value       = module.function.invoke_arn
}
