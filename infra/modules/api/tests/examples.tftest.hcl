# The examples plan, with this folder's mocks standing in for the providers they configure: what
# a user copies from examples/ works with the module as it is.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "minimal_example" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = output.invoke_url == "https://files.example.com/files"
    error_message = "The minimal example must serve POST /files on its domain."
  }
}

run "complete_example" {
  command = plan

  module {
    source = "./examples/complete"
  }

  assert {
    condition     = output.access_log_group_name == "/aws/apigateway/randfile-example/v2/access" && output.api_key_id != null
    error_message = "The complete example must plan its stage's logs and an API key."
  }
}
