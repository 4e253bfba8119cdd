# Every input set: an explicit bucket name, a custom prefix, SSE-KMS with a customer managed key
# (whose policy lets the writer role use it through S3 only), shorter expiry, extra tags.

provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform"
  }

  default_tags {
    tags = {
      project = "randfile-example"
    }
  }
}

module "data_bucket" {
  source = "../.."

  name            = "randfile-example"
  bucket_name     = "randfile-example-files-222222222222"
  writer_role_arn = "arn:aws:iam::111111111111:role/randfile-example-function"
  key_prefix      = "generated/random/"

  kms_encryption              = true
  kms_deletion_window_in_days = 14

  current_version_expiration_days    = 7
  noncurrent_version_expiration_days = 1
  force_destroy                      = false

  tags = {
    data-classification = "synthetic"
  }
}
