# The workload account as its provider would answer.

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

# The jobs queues as SQS would name them, so the functions' environment is known at plan.
override_resource {
  target = module.function.aws_sqs_queue.jobs
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-queue"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-queue"
  }
}

override_resource {
  target = module.function.aws_sqs_queue.jobs_dead_letter
  values = {
    arn = "arn:aws:sqs:eu-west-1:111111111111:randfile-test-jobs-dead-letter"
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-dead-letter"
    id  = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-test-jobs-dead-letter"
  }
}
