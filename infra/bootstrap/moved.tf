# Addresses before the roles became one for_each per account (<type>.<account>_<mode>["<env>"]),
# moved to their "<env>-<mode>" keys so an applied bootstrap plans with no change. moved blocks take
# literal keys only: they cover the project's environments (infra/stack/envs); an installation
# with other environment names moves those with `terraform state mv` (README.md, "Upgrading").

moved {
  from = aws_iam_role.workload_plan["dev"]
  to   = aws_iam_role.workload["dev-plan"]
}

moved {
  from = aws_iam_role.workload_apply["dev"]
  to   = aws_iam_role.workload["dev-apply"]
}

moved {
  from = aws_iam_role.workload_plan["prod"]
  to   = aws_iam_role.workload["prod-plan"]
}

moved {
  from = aws_iam_role.workload_apply["prod"]
  to   = aws_iam_role.workload["prod-apply"]
}

moved {
  from = aws_iam_role.data_plan["dev"]
  to   = aws_iam_role.data["dev-plan"]
}

moved {
  from = aws_iam_role.data_apply["dev"]
  to   = aws_iam_role.data["dev-apply"]
}

moved {
  from = aws_iam_role.data_plan["prod"]
  to   = aws_iam_role.data["prod-plan"]
}

moved {
  from = aws_iam_role.data_apply["prod"]
  to   = aws_iam_role.data["prod-apply"]
}

moved {
  from = aws_iam_role_policy.workload_plan["dev"]
  to   = aws_iam_role_policy.workload["dev-plan"]
}

moved {
  from = aws_iam_role_policy.workload_apply["dev"]
  to   = aws_iam_role_policy.workload["dev-apply"]
}

moved {
  from = aws_iam_role_policy.workload_plan["prod"]
  to   = aws_iam_role_policy.workload["prod-plan"]
}

moved {
  from = aws_iam_role_policy.workload_apply["prod"]
  to   = aws_iam_role_policy.workload["prod-apply"]
}

moved {
  from = aws_iam_role_policy.data_plan["dev"]
  to   = aws_iam_role_policy.data["dev-plan"]
}

moved {
  from = aws_iam_role_policy.data_apply["dev"]
  to   = aws_iam_role_policy.data["dev-apply"]
}

moved {
  from = aws_iam_role_policy.data_plan["prod"]
  to   = aws_iam_role_policy.data["prod-plan"]
}

moved {
  from = aws_iam_role_policy.data_apply["prod"]
  to   = aws_iam_role_policy.data["prod-apply"]
}
