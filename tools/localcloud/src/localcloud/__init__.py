"""A local AWS cloud of several accounts on a moto server: a Terraform stack of Lambda, API Gateway
REST, S3, DynamoDB and SQS deployed unchanged, its APIs served over HTTP and its functions run.

A project describes its stack (``localcloud.stack.Stack``) and its accounts' prerequisites
(``localcloud.cloud.LocalCloud.prepare_accounts``); nothing here knows a particular project.
"""
