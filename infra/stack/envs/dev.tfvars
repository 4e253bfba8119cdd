environment         = "dev"
region              = "eu-west-1"
workload_account_id = "111111111111"
data_account_id     = "222222222222"
repository          = "example-org/randfile"

# workload_role_arn and data_role_arn are not set here: a -var-file value would override the
# TF_VAR_data_role_arn that CI passes (a plan role for pull requests, an apply role for deploys).

hosted_zone_name = "dev.example.com"
domain_name      = "files.dev.example.com"

# Made by infra/bootstrap (its `stack_inputs` output): the CI apply role may create roles only with
# this boundary, and the key policies (bucket key, alarm topic key) name the CI roles.
role_permissions_boundary_arn    = "arn:aws:iam::111111111111:policy/randfile-ci-dev-boundary"
alarm_kms_key_administrator_arns = ["arn:aws:iam::111111111111:role/randfile-ci-dev-apply"]
alarm_kms_key_reader_arns        = ["arn:aws:iam::111111111111:role/randfile-ci-dev-plan", "arn:aws:iam::111111111111:role/randfile-ci-dev-pr"]

# Throw-away environment: short retention, small caps, destroyable with its objects.
log_retention_days              = 7
current_version_expiration_days = 7
api_usage_plan_daily_quota      = 500
bucket_force_destroy            = true
