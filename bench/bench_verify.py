"""Benchmark: `randfile verify`'s objects per second on a moto server, by --parallel.

Run with `.venv/bin/python bench/bench_verify.py [--objects 1000] [--size 65536]`. A moto server in
this process (ThreadedMotoServer) holds OBJECTS objects of SIZE bytes with their CRC64NVME stored,
as randfile writes them, and OBJECTS without one; verify checks the first by HEAD and checksum
(what it does for randfile's objects) and reads and hashes the others. The figures are this
machine's and moto's (one Python process serving every request, the client in the same process),
not S3's: docs/performance.md says what they show.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Final

from awscrt.checksums import crc64nvme
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src")]

from randfile_client.verify import ManifestEntry, s3_client, verify  # noqa: E402

REGION: Final = "eu-west-1"
BUCKET = "bench-verify"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    # moto takes any keys; these keep the machine's own credentials out of it.
    os.environ.update(dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "bench"))
    # The server's access log, a line a request, would drown the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = s3_client(parallel=max(args.parallel), region=REGION, endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        body = b"r" * args.size
        checksum = base64.b64encode(crc64nvme(body).to_bytes(8, "big")).decode()
        digest = hashlib.sha256(body).hexdigest()
        entries: dict[str, list[ManifestEntry]] = {"checksum": [], "read": []}
        for index in range(args.objects):
            key = f"checksum/{index:05d}.bin"
            s3.put_object(
                Bucket=BUCKET,
                Key=key,
                Body=body,
                ChecksumAlgorithm="CRC64NVME",
                ChecksumCRC64NVME=checksum,
            )
            entries["checksum"].append(ManifestEntry(BUCKET, key, args.size, digest, checksum))
            key = f"read/{index:05d}.bin"
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            entries["read"].append(ManifestEntry(BUCKET, key, args.size, digest))
        print(f"{args.objects} objects of {args.size} bytes on a moto server at {endpoint}")
        for kind, listed in entries.items():
            for parallel in args.parallel:
                client = s3_client(parallel=parallel, region=REGION, endpoint_url=endpoint)
                result = verify(listed, client, parallel=parallel)
                assert result.all_match, result.summary()
                rate = result.objects_per_second
                print(
                    f"  {kind:8} --parallel {parallel:3}: {rate:7.0f} objects/s"
                    f" ({result.elapsed_seconds:.2f} s, {result.read} read and hashed)"
                )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
