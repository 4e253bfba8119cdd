# Every input set: an SSE-KMS bucket's key, a custom prefix and size cap, sizing, concurrency, log
# retention, the worker's timeout and job limits, and tags. Build the package first (make build)
# and pass its path:
# terraform plan -var zip_path=../../../../../dist/randfile.zip

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform"
  }

  default_tags {
    tags = {
      project = "randfile-example"
    }
  }
}

module "function" {
  source = "../.."

  function_name = "randfile-example"
  role_name     = "randfile-example-function"
  zip_path      = var.zip_path

  bucket_name  = "randfile-example-files-222222222222"
  bucket_arn   = "arn:aws:s3:::randfile-example-files-222222222222"
  bucket_owner = "222222222222"
  key_prefix   = "generated/random/"
  kms_key_arn  = "arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001"

  max_sync_bytes       = 10485760
  memory_size          = 1024
  timeout              = 20
  reserved_concurrency = 5
  log_retention_days   = 365

  worker_timeout         = 600
  max_job_bytes          = 2147483648
  job_retention_days     = 3
  worker_max_concurrency = 4
  job_max_receive_count  = 5

  tags = {
    service = "randfile"
  }
}
