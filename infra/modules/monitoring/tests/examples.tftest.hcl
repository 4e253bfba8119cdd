# The examples plan, with the shared mocks (infra/tests/mocks) standing in for their provider.

mock_provider "aws" {
  source          = "../../tests/mocks/workload"
  override_during = plan
}

run "minimal_example" {
  command = plan

  module {
    source = "./examples/minimal"
  }
}

run "complete_example" {
  command = plan

  module {
    source = "./examples/complete"
  }

  assert {
    condition     = output.dashboard_name == "randfile-prod"
    error_message = "The complete example must make the prod dashboard."
  }
}
