output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_owner" {
  description = "Account ID that owns the bucket (the data account), for ExpectedBucketOwner checks."
  value       = local.account_id
}

output "kms_key_arn" {
  description = "ARN of the customer managed KMS key, or null when the bucket uses SSE-S3."
  value       = var.kms_encryption ? aws_kms_key.this[0].arn : null
}
