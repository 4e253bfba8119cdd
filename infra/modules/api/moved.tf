# Addresses from before the routes became one map (a method, an integration and a Lambda
# permission per route, each declared on its own), moved to their route's key so a deployed API
# plans with no change: the objects and the permissions' statement ids are the same.

moved {
  from = aws_api_gateway_method.post
  to   = aws_api_gateway_method.this["post_files"]
}

moved {
  from = aws_api_gateway_method.get_job
  to   = aws_api_gateway_method.this["get_job"]
}

moved {
  from = aws_api_gateway_method.post_datasets
  to   = aws_api_gateway_method.this["post_datasets"]
}

moved {
  from = aws_api_gateway_method.get_dataset
  to   = aws_api_gateway_method.this["get_dataset"]
}

moved {
  from = aws_api_gateway_integration.lambda
  to   = aws_api_gateway_integration.this["post_files"]
}

moved {
  from = aws_api_gateway_integration.get_job
  to   = aws_api_gateway_integration.this["get_job"]
}

moved {
  from = aws_api_gateway_integration.post_datasets
  to   = aws_api_gateway_integration.this["post_datasets"]
}

moved {
  from = aws_api_gateway_integration.get_dataset
  to   = aws_api_gateway_integration.this["get_dataset"]
}

moved {
  from = aws_lambda_permission.api
  to   = aws_lambda_permission.this["post_files"]
}

moved {
  from = aws_lambda_permission.get_job
  to   = aws_lambda_permission.this["get_job"]
}

moved {
  from = aws_lambda_permission.post_datasets
  to   = aws_lambda_permission.this["post_datasets"]
}

moved {
  from = aws_lambda_permission.get_dataset
  to   = aws_lambda_permission.this["get_dataset"]
}
