"""IAM as AWS evaluates it: one evaluator (evaluator), the map from an HTTP request to the
authorizations AWS performs for it (requests), and the audit of a Terraform state's policy
documents (audit)."""
