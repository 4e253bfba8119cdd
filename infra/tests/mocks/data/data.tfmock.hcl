# What the data account's provider would answer, for the data-bucket module's tests and the
# stack's `aws.data` provider (mock_provider "aws" { source = "<path to this folder>" }, a path
# Terraform takes from the folder it tests). Mocked values are also used while planning
# (override_during = plan in the test files), so plan-only runs see real-looking names.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "222222222222"
  }
}

mock_data "aws_region" {
  defaults = {
    id   = "eu-west-1"
    name = "eu-west-1"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

# The provider derives a bucket's ARN from its name; this is the tests' bucket's.
mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::randfile-test-222222222222-eu-west-1"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:222222222222:key/0d1c2b3a-0000-4000-8000-000000000001"
    key_id = "0d1c2b3a-0000-4000-8000-000000000001"
  }
}

# Resources that take a policy check that it parses as JSON, even against a mock: a valid empty
# policy stands in for the document, whose statements the tests read instead.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}
