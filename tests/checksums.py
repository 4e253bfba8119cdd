"""The CRC64NVME of some bytes as S3 reports it (base64 of the 8 big-endian bytes), computed with
awscrt, the implementation botocore itself uses: what a reported or stored checksum must equal."""

from __future__ import annotations

import base64

from awscrt.checksums import crc64nvme


def crc64nvme_of(data: bytes) -> str:
    return base64.b64encode(crc64nvme(data).to_bytes(8, "big")).decode()
