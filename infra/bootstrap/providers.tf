# Two accounts, two provider configurations. `allowed_account_ids` makes Terraform refuse to run
# against the wrong account (for example a stale AWS_PROFILE) before it changes anything.

provider "aws" {
  alias               = "workload"
  region              = var.region
  allowed_account_ids = [var.workload_account_id]

  dynamic "assume_role" {
    for_each = var.workload_admin_role_arn == null ? [] : [var.workload_admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "${var.name_prefix}-bootstrap"
    }
  }

  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias               = "data"
  region              = var.region
  allowed_account_ids = [var.data_account_id]

  dynamic "assume_role" {
    for_each = var.data_admin_role_arn == null ? [] : [var.data_admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "${var.name_prefix}-bootstrap"
    }
  }

  default_tags {
    tags = local.tags
  }
}
