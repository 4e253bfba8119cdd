# What the workload account's provider would answer for the names the tests use, for the function
# and monitoring modules' tests and the stack's `aws.workload` provider (mock_provider "aws"
# { source = "<path to this folder>" }, a path Terraform takes from the folder it tests). Resources
# that take a policy check that it parses as JSON, even against a mock: a valid empty policy stands
# in for each document, whose statements the tests read instead.

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
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

# An account whose concurrency quota was raised to the default (1,000); runs override it.
mock_data "aws_servicequotas_service_quota" {
  defaults = {
    value = 1000
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111111111111:role/randfile-test-function"
  }
}

# The function's log group (the api's log groups get the same ARN; no test reads theirs).
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

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000"
    key_id = "00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:111111111111:randfile-test-alarms"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:randfile-test-alarm"
  }
}

# ACM asks for one CNAME per name on the certificate; for_each over them needs them while planning.
mock_resource "aws_acm_certificate" {
  defaults = {
    domain_validation_options = [{
      domain_name           = "files.example.com"
      resource_record_name  = "_0123456789abcdef.files.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_fedcba9876543210.acm-validations.aws."
    }]
  }
}

# Each of the function module's queues as SQS would name it (the default above names the jobs
# queue only). Only the function module's tests have these addresses; elsewhere they go unused.
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
