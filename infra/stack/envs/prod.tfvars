environment         = "prod"
region              = "eu-west-1"
workload_account_id = "333333333333"
data_account_id     = "444444444444"
repository          = "example-org/randfile"

# workload_role_arn and data_role_arn are not set here: a -var-file value would override the
# TF_VAR_data_role_arn that CI passes (a plan role for pull requests, an apply role for deploys).

hosted_zone_name = "example.com"
domain_name      = "files.example.com"

kms_encryption                = true
log_retention_days            = 365
object_expiration_days        = 30
function_reserved_concurrency = 20
api_usage_plan_daily_quota    = 5000
