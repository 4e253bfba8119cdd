variable "github_repository" {
  description = "The GitHub repository allowed to deploy, as \"owner/name\" (the `sub` claims of its OIDC tokens are pinned exactly)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/name\", for example \"acme/randfile\", without a URL or .git suffix."
  }
}

variable "github_owner_id" {
  description = "Numeric ID of the repository's owner (`gh api repos/OWNER/REPO --jq .owner.id`). With github_repository_id it makes the immutable subject `repo:OWNER@OWNER_ID/REPO@REPO_ID:...`, the only form GitHub issues for repositories created, renamed or transferred since 2026-07-15."
  type        = string

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_owner_id))
    error_message = "github_owner_id must be the owner's numeric ID, for example \"583231\" (from `gh api repos/OWNER/REPO --jq .owner.id`)."
  }
}

variable "github_repository_id" {
  description = "Numeric ID of the repository (`gh api repos/OWNER/REPO --jq .id`), part of the immutable subject with github_owner_id."
  type        = string

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_repository_id))
    error_message = "github_repository_id must be the repository's numeric ID, for example \"1296269\" (from `gh api repos/OWNER/REPO --jq .id`)."
  }
}

variable "trust_name_only_subject" {
  description = "Also trust the name-only subject `repo:OWNER/REPO:...` that repositories created before 2026-07-15 keep until they opt in to immutable subjects. Leave false for a newer repository: GitHub never issues that form for it, and a repository that later takes the name could match it."
  type        = bool
  default     = false
}

variable "environments" {
  description = "Deployment environments; each gets a plan and an apply role in both accounts. Must match the GitHub environments and infra/stack/envs/<env>.tfvars."
  type        = list(string)
  default     = ["dev", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in var.environments : can(regex("^[a-z][a-z0-9-]{0,15}$", env))])
    error_message = "environments must be a non-empty list of lowercase names (letters, digits, hyphens; at most 16 characters), for example [\"dev\", \"prod\"]."
  }

  validation {
    condition     = length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must not contain duplicates."
  }

  validation {
    # The roles are scoped by name, "<name_prefix>-<env>-*": with "dev" and "dev-eu", dev's
    # pattern would match dev-eu's resources.
    condition = alltrue([
      for pair in setproduct(var.environments, var.environments) :
      pair[0] == pair[1] || !startswith(pair[1], "${pair[0]}-")
    ])
    error_message = "No environment name may start with another environment's name followed by \"-\" (for example \"dev\" and \"dev-eu\"): the roles are scoped by the names \"<name_prefix>-<env>-*\", and one environment's roles would reach the other's resources."
  }

  validation {
    condition     = !contains(var.environments, "ci") && !contains(var.environments, "apigw")
    error_message = "\"ci\" and \"apigw\" cannot be environments: the bootstrap's own roles are named \"<name_prefix>-ci-<env>-...\" and \"<name_prefix>-apigw-...\", which an environment's \"<name_prefix>-<env>-*\" scope would reach."
  }
}

variable "drift_environment" {
  description = "GitHub environment the scheduled drift check runs in. The plan roles trust it in addition to pull requests, because a scheduled run on main has no pull_request subject. Restrict it to the default branch in the repository settings."
  type        = string
  default     = "drift"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,255}$", var.drift_environment))
    error_message = "drift_environment must be a GitHub environment name (letters, digits, '.', '_', '-')."
  }
}

variable "workload_account_id" {
  description = "AWS account that runs the API and the Lambda function and holds the Terraform state and the GitHub OIDC provider."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.workload_account_id))
    error_message = "workload_account_id must be a 12-digit AWS account id."
  }
}

variable "data_account_id" {
  description = "AWS account that owns the bucket the function writes into."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.data_account_id))
    error_message = "data_account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "AWS region of the state bucket and of the stack."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"eu-west-1\"."
  }
}

variable "workload_admin_role_arn" {
  description = "Role the administrator assumes in the workload account to run this bootstrap; null uses the ambient credentials (AWS_PROFILE, SSO session...)."
  type        = string
  default     = null

  validation {
    condition     = var.workload_admin_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.workload_admin_role_arn))
    error_message = "workload_admin_role_arn must be an IAM role ARN or null."
  }
}

variable "data_admin_role_arn" {
  description = "Role the administrator assumes in the data account to run this bootstrap (for example OrganizationAccountAccessRole); null uses the ambient credentials."
  type        = string
  default     = null

  validation {
    condition     = var.data_admin_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.data_admin_role_arn))
    error_message = "data_admin_role_arn must be an IAM role ARN or null."
  }
}

variable "name_prefix" {
  description = "Prefix of every name the stack creates; the apply roles may only manage resources whose names start with \"<name_prefix>-\"."
  type        = string
  default     = "randfile"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket; null derives \"<name_prefix>-tfstate-<workload_account_id>-<region>\"."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "state_key_format" {
  description = "Object key of each environment's state in the state bucket, with %s standing for the environment; must match `key` in infra/stack/envs/<env>.s3.tfbackend."
  type        = string
  default     = "randfile/%s/terraform.tfstate"

  validation {
    condition     = length(regexall("%s", var.state_key_format)) == 1 && !startswith(var.state_key_format, "/")
    error_message = "state_key_format must contain exactly one %s (the environment) and must not start with '/'."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone (in the workload account) holding the API's custom domain; the apply roles may change records in this zone only."
  type        = string

  validation {
    condition     = can(regex("^[A-Z0-9]{1,32}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone id such as \"Z0123456789ABCDEFGHIJ\" (without the /hostedzone/ prefix)."
  }
}

variable "api_domain_names" {
  description = "Custom domain of each environment's API (`domain_name` in infra/stack/envs/<env>.tfvars), environment => domain. The apply roles may create and change only their own environment's API Gateway domain name."
  type        = map(string)

  validation {
    condition     = alltrue([for domain in values(var.api_domain_names) : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", domain))])
    error_message = "api_domain_names must map each environment to a lowercase DNS name such as \"files.dev.example.com\"."
  }

  validation {
    condition     = alltrue([for env in var.environments : contains(keys(var.api_domain_names), env)])
    error_message = "api_domain_names must name the domain of every environment in var.environments."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider. An account holds at most one provider per URL: set false when it already exists (its ARN is derived from the account id)."
  type        = bool
  default     = true
}

variable "max_session_duration" {
  description = "Maximum session length, in seconds, of the roles GitHub assumes."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.tags), "environment")
    error_message = "tags must not set \"environment\": every CI role is denied any action on a resource whose environment tag is not its own (environment_fence.tf), so an environment tag on the state bucket or the roles would lock the other environments out."
  }
}

variable "saved_plan_expiration_days" {
  description = "Days a saved plan waits in the state bucket for its apply job before it expires. GitHub fails a job still waiting for review after 30 days, so the default outlives that wait."
  type        = number
  default     = 35

  validation {
    condition     = var.saved_plan_expiration_days >= 31 && var.saved_plan_expiration_days <= 365
    error_message = "saved_plan_expiration_days must be between 31 and 365: a plan must outlive GitHub's 30-day wait for a reviewer."
  }
}

variable "unscoped_permissions" {
  description = <<-EOT
    Stack features whose AWS actions support no resource-level permission, granted on "*" to the
    apply roles (and, for reads, the plan and pull-request roles): "logs-query-definitions"
    (logs:PutQueryDefinition, DeleteQueryDefinition, DescribeQueryDefinitions) and
    "sns-subscriptions" (sns:Unsubscribe, GetSubscriptionAttributes, SetSubscriptionAttributes).
    Allowed only in an account pair that holds one environment: a role granted them could change
    or delete every environment's query definitions and alarm subscriptions. In a shared pair, set
    [] and, in each environment's tfvars, create_query_definitions = false and
    alarm_subscriptions = [].
  EOT
  type        = set(string)

  validation {
    condition     = alltrue([for feature in var.unscoped_permissions : contains(["logs-query-definitions", "sns-subscriptions"], feature)])
    error_message = "unscoped_permissions may hold only \"logs-query-definitions\" and \"sns-subscriptions\"."
  }

  validation {
    condition     = length(var.environments) == 1 || length(var.unscoped_permissions) == 0
    error_message = "This account pair is shared by several environments, so unscoped_permissions must be []: Logs Insights query definitions and SNS subscriptions support no resource-level permission (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html, list_amazonsns.html), and one environment's role could change or delete the other's. Set unscoped_permissions = [] and, in every environment's tfvars, create_query_definitions = false and alarm_subscriptions = [], or give each environment its own account pair."
  }
}
