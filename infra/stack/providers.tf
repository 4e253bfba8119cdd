# Two aliased providers and no default one: every resource names the account it belongs to.
# Credentials come from the environment (CI: OIDC); each provider may assume a role in its account,
# and allowed_account_ids refuses to touch any other account.

provider "aws" {
  alias               = "workload"
  region              = var.region
  allowed_account_ids = [var.workload_account_id]

  dynamic "assume_role" {
    for_each = var.workload_role_arn == null ? [] : [var.workload_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "randfile-${var.environment}-workload"
    }
  }

  default_tags {
    tags = local.default_tags
  }
}

provider "aws" {
  alias               = "data"
  region              = var.region
  allowed_account_ids = [var.data_account_id]

  dynamic "assume_role" {
    for_each = var.data_role_arn == null ? [] : [var.data_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "randfile-${var.environment}-data"
    }
  }

  default_tags {
    tags = local.default_tags
  }
}
