# The examples plan, with the shared mocks (infra/tests/mocks) standing in for the provider they
# configure: what a user copies from examples/ works with the module as it is.

mock_provider "aws" {
  source          = "../../tests/mocks/data"
  override_during = plan
}

run "minimal_example" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = output.bucket_name == "randfile-example-222222222222-eu-west-1"
    error_message = "The minimal example must get the derived bucket name."
  }
}

run "complete_example" {
  command = plan

  module {
    source = "./examples/complete"
  }

  assert {
    condition     = output.bucket_name == "randfile-example-files-222222222222" && output.kms_key_arn != null
    error_message = "The complete example must get its explicit bucket name and a KMS key."
  }
}
