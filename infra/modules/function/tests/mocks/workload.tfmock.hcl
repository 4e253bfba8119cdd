# What the workload account's provider would answer for the names the tests use. Resources that
# take a policy check that it parses as JSON, even against a mock: a valid empty policy stands in
# for each document, whose statements the tests read instead.

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111111111111:role/randfile-test-function"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/randfile-test"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:111111111111:function:randfile-test"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:randfile-test/invocations"
  }
}

# An account whose concurrency quota was raised to the default (1,000); runs override it.
mock_data "aws_servicequotas_service_quota" {
  defaults = {
    value = 1000
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111111111111"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:eu-west-1:111111111111:table/randfile-test-jobs"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
  }
}

# Each queue as SQS would name it (the default above names the jobs queue only).
override_resource {
  target = aws_sqs_queue.jobs
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
  }
}

override_resource {
  target = aws_sqs_queue.jobs_dead_letter
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-dead-letter"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-dead-letter"
  }
}
