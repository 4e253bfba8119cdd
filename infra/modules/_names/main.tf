# The names of what infra/stack creates for one environment, derived once: the stack passes them
# to its modules and infra/bootstrap scopes the CI roles' permissions to them, so the two roots
# cannot spell a name differently. The modules derive the names of what they create from the
# name they are given (`function_name`, `name`), as any reusable module does; infra/stack's tests
# check that what they create is named as here.

locals {
  name = "${var.prefix}-${var.environment}"
}
