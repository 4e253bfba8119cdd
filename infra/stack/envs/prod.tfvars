environment         = "prod"
region              = "eu-west-1"
workload_account_id = "333333333333"
data_account_id     = "444444444444"
repository          = "example-org/randfile"

# workload_role_arn and data_role_arn are not set here: a -var-file value would override the
# TF_VAR_data_role_arn that CI passes (a plan role for pull requests, an apply role for deploys).

hosted_zone_name = "example.com"
domain_name      = "files.example.com"

# Made by infra/bootstrap (its `stack_inputs` output): the CI apply role may create roles only with
# this boundary, and the key policies (bucket key, alarm topic key) name the CI roles.
role_permissions_boundary_arn     = "arn:aws:iam::333333333333:policy/randfile-ci-prod-boundary"
alarm_kms_key_administrator_arns  = ["arn:aws:iam::333333333333:role/randfile-ci-prod-apply"]
alarm_kms_key_reader_arns         = ["arn:aws:iam::333333333333:role/randfile-ci-prod-plan", "arn:aws:iam::333333333333:role/randfile-ci-prod-pr"]
kms_encryption                    = true
bucket_kms_key_administrator_arns = ["arn:aws:iam::444444444444:role/randfile-ci-prod-apply"]
bucket_kms_key_reader_arns        = ["arn:aws:iam::444444444444:role/randfile-ci-prod-plan"]
log_retention_days                = 365
current_version_expiration_days   = 30
api_usage_plan_daily_quota        = 5000

# The jobs table survives a mistaken destroy and can be restored to any second of 35 days.
jobs_table_deletion_protection    = true
jobs_table_point_in_time_recovery = true

# No reserved concurrency: a new account's Lambda quota is often 10, and AWS keeps min(100, quota)
# unreserved. Once the quota is raised, function_reserved_concurrency caps copies (plan-time check).
