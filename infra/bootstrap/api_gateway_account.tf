# API Gateway's CloudWatch role is one setting per account and region, shared by every REST API in
# it: managed here, once per account, not by each environment's stack (two stacks would each set
# it on every deploy, and destroying one would leave the other's logging pointed at a deleted
# role). A stage's access and execution logging fail until it is set.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_account

data "aws_iam_policy_document" "api_gateway_logging_trust" {
  provider = aws.workload

  statement {
    sid     = "ApiGateway"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

# Named "<prefix>-apigw-..." (the environment "apigw" is refused): no "<prefix>-<env>-*" pattern
# of an apply role matches it.
resource "aws_iam_role" "api_gateway_logging" {
  provider = aws.workload

  name               = "${var.name_prefix}-apigw-cloudwatch-logs"
  description        = "Lets API Gateway write every REST API's access and execution logs in this account and region (account-wide setting)."
  assume_role_policy = data.aws_iam_policy_document.api_gateway_logging_trust.json
}

resource "aws_iam_role_policy_attachment" "api_gateway_logging" {
  provider = aws.workload

  role       = aws_iam_role.api_gateway_logging.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  provider = aws.workload

  cloudwatch_role_arn = aws_iam_role.api_gateway_logging.arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_logging]
}
