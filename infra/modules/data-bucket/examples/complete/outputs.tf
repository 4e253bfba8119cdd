output "bucket_name" {
  description = "The writer sends this bucket name (RANDFILE_BUCKET)."
  value       = module.data_bucket.bucket_name
}

output "bucket_arn" {
  description = "ARN for the writer's IAM policy (the function module's bucket_arn)."
  value       = module.data_bucket.bucket_arn
}

output "bucket_owner" {
  description = "Data account ID, sent as ExpectedBucketOwner (RANDFILE_BUCKET_OWNER)."
  value       = module.data_bucket.bucket_owner
}

output "kms_key_arn" {
  description = "Key the writer's role must be allowed to use (the function module's kms_key_arn)."
  value       = module.data_bucket.kms_key_arn
}
