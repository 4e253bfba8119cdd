# The module inputs every test file in this folder starts from: terraform test reads a
# terraform.tfvars in the test directory for each of them; a file or run overrides what it tests.
name                        = "randfile-test"
environment                 = "test"
function_name               = "randfile-test"
worker_function_name        = "randfile-test-worker"
jobs_queue_name             = "randfile-test-jobs-queue"
jobs_dead_letter_queue_name = "randfile-test-jobs-dead-letter"
function_timeout_seconds    = 20
function_log_group_name     = "/aws/lambda/randfile-test"
api_name                    = "randfile-test"
api_stage_name              = "v1"
api_access_log_group_name   = "/aws/apigateway/randfile-test/v1/access"
usage_plan_daily_quota      = 1000
