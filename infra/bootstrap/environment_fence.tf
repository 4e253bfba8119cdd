# The environment tag in the CI roles' policies: the allow statements held to it
# (local.environment_tagged_statements, at the end), and what keeps one environment's CI roles off
# another environment's resources when both share an account pair, beyond the name scoping
# ("<name_prefix>-<env>-*") and those tag conditions: explicit denies that no allow statement,
# present or future, can outweigh (the list environment-fence, first in every CI role's policy in
# both accounts: local.workload_policy_lists, local.data_policy_lists).
#
# A resource tagged with another environment is out of reach whatever the action, so an
# environment cannot re-tag the other's resource as its own and then use its tag-based
# permissions; no request may set another environment's tag either. Both denies test that the key
# is present first: a negated operator is true when its key is absent.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html

locals {
  fence_statements = {
    for env in var.environments : env => {
      environment-fence = [
        for tag in ["ResourceTag", "RequestTag"] : {
          sid       = { ResourceTag = "DenyOtherEnvironmentsResources", RequestTag = "DenyOtherEnvironmentsTags" }[tag]
          effect    = "Deny"
          actions   = ["*"]
          resources = ["*"]
          conditions = [
            { test = "Null", variable = "aws:${tag}/environment", values = ["false"] },
            { test = "StringNotEquals", variable = "aws:${tag}/environment", values = [env] },
          ]
        }
      ]
    }
  }

  # The allow statements held to this environment's tag, one list per environment and policy they
  # are merged into (workload read, workload apply, data apply): what is named by a generated id
  # is created with the environment's tag in the request (aws:RequestTag) and read, changed and
  # deleted only while it carries it (aws:ResourceTag). Each topic lists its statements beside its
  # other permissions: local.workload_tag_scoped (roles_workload.tf), local.jobs_tag_scoped
  # (permissions_jobs.tf), local.monitoring_tag_scoped (permissions_monitoring.tf) and
  # local.data_tag_scoped (roles_data.tf), each sid => { tag, actions, resources }, listed here in
  # the order of their sids.
  # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
  environment_tagged_scoped = {
    workload-read-tagged  = merge(local.workload_tag_scoped.read, local.jobs_tag_scoped.read)
    workload-apply-tagged = merge(local.workload_tag_scoped.apply, local.jobs_tag_scoped.apply, local.monitoring_tag_scoped.apply)
    data-apply-tagged     = local.data_tag_scoped.apply
  }
  environment_tagged_statements = {
    for env in var.environments : env => {
      for list, statements in local.environment_tagged_scoped : list => [
        for sid, statement in statements : {
          sid        = sid
          actions    = statement.actions
          resources  = statement.resources
          conditions = [{ test = "StringEquals", variable = "aws:${statement.tag}/environment", values = [env] }]
        }
      ]
    }
  }
}
