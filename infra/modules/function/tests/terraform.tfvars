# The module inputs every test file in this folder starts from: terraform test reads a
# terraform.tfvars in the test directory for each of them; a file or run overrides what it tests.
function_name = "randfile-test"
role_name     = "randfile-test-function"
zip_path      = "tests/fixtures/randfile.zip"
bucket_name   = "randfile-test-222222222222-eu-west-1"
bucket_arn    = "arn:aws:s3:::randfile-test-222222222222-eu-west-1"
bucket_owner  = "222222222222"
