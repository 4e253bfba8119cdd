# The bucket in the data account, writable under random/ by one role of the workload account.
# SSE-S3, 30-day expiry: the module's defaults.

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }
}

module "data_bucket" {
  #checkov:skip=CKV_AWS_145:Minimal example: keeps the module's SSE-S3 default; examples/complete turns on SSE-KMS.
  source = "../.."

  name            = "randfile-example"
  writer_role_arn = "arn:aws:iam::111111111111:role/randfile-example-function"
}

output "bucket_name" {
  description = "The writer sends this bucket name (RANDFILE_BUCKET)."
  value       = module.data_bucket.bucket_name
}
