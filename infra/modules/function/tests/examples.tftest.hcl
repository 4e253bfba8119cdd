# The examples plan, with the shared mocks (infra/tests/mocks) standing in for the provider they
# configure: what a user copies from examples/ works with the module as it is.

mock_provider "aws" {
  source          = "../../tests/mocks/workload"
  override_during = plan
}

variables {
  zip_path = "tests/fixtures/randfile.zip"
}

run "minimal_example" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = output.invoke_arn != ""
    error_message = "The minimal example must plan a function."
  }
}

run "complete_example" {
  command = plan

  module {
    source = "./examples/complete"
  }

  assert {
    condition     = output.function_name == "randfile-example" && output.log_group_name == "/aws/lambda/randfile-example"
    error_message = "The complete example must plan the function and its log group."
  }
}
