"""randfile: writes files of random data into an S3 bucket that another AWS account owns."""

__version__ = "0.1.0"
