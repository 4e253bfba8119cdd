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

# Addresses from before the resource tree and the stage's log groups became maps (one resource
# each, declared on its own), moved to their key: the objects are the same.

moved {
  from = aws_api_gateway_resource.files
  to   = aws_api_gateway_resource.collection["files"]
}

moved {
  from = aws_api_gateway_resource.datasets
  to   = aws_api_gateway_resource.collection["datasets"]
}

moved {
  from = aws_api_gateway_resource.job
  to   = aws_api_gateway_resource.item["job"]
}

moved {
  from = aws_api_gateway_resource.dataset
  to   = aws_api_gateway_resource.item["dataset"]
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = aws_cloudwatch_log_group.stage["access"]
}

moved {
  from = aws_cloudwatch_log_group.execution
  to   = aws_cloudwatch_log_group.stage["execution"]
}
