# The module inputs every test file in this folder starts from: terraform test reads a
# terraform.tfvars in the test directory for each of them; a file or run overrides what it tests.
name                = "randfile-test"
function_name       = "randfile-test"
function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:randfile-test/invocations"
invoke_principals   = ["111111111111"]
hosted_zone_name    = "example.com"
domain_name         = "files.example.com"
