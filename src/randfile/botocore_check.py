"""The runtime's botocore must model S3's conditional writes, or create-only cannot hold.

The zip carries no SDK: the function uses the boto3 that the Lambda runtime bundles. Every write
sends ``IfNoneMatch="*"``; a botocore from before S3's conditional writes (August 2024) does not
know that parameter and refuses the call only once the object's bytes are already generated, or,
for an SDK that silently dropped it, could overwrite. So the model is checked before any work, and
the caller is told which botocore the runtime has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import botocore

from randfile.errors import OutdatedRuntimeError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONDITIONAL_WRITE_OPERATIONS = ("PutObject", "CompleteMultipartUpload")


def require_conditional_writes(client: S3Client) -> None:
    """Raise OutdatedRuntimeError unless every write operation accepts IfNoneMatch."""
    model = client.meta.service_model
    missing = [
        name
        for name in CONDITIONAL_WRITE_OPERATIONS
        if "IfNoneMatch" not in getattr(model.operation_model(name).input_shape, "members", {})
    ]
    if missing:
        raise OutdatedRuntimeError(
            f"the function's runtime has botocore {botocore.__version__}, which cannot send "
            f"If-None-Match on {' and '.join(missing)}; create-only writes need a botocore with "
            "S3 conditional writes (1.35.x or later), so nothing was written"
        )
