# Every statement of the CI roles' policies and of the stack roles' permissions boundary, as
# ordered lists, one document per environment and list, keyed "<env>/<list>". Each file lists the
# statements of its topic, per environment, list name => [{ sid, actions, resources, and where
# needed effect and conditions ({ test, variable, values }) }]: local.fence_statements and
# local.environment_tagged_statements (environment_fence.tf), local.workload_statements
# (roles_workload.tf), local.jobs_statements (permissions_jobs.tf), local.monitoring_statements
# (permissions_monitoring.tf) and local.data_statements (roles_data.tf). A role's policy merges
# its lists in order through source_policy_documents (local.workload_policy_lists,
# local.data_policy_lists, data.aws_iam_policy_document.stack_role_boundary).
data "aws_iam_policy_document" "statements" {
  for_each = merge([
    for env in var.environments : {
      for list, statements in merge(
        local.fence_statements[env],
        local.environment_tagged_statements[env],
        local.workload_statements[env],
        local.jobs_statements[env],
        local.monitoring_statements[env],
        local.data_statements[env],
      ) : "${env}/${list}" => statements
    }
  ]...)
  provider = aws.workload

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.value.sid
      effect    = try(statement.value.effect, "Allow")
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
