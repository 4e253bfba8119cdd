"""The multipart part size grows with the file, as boto3's managed uploads size theirs, so every
size up to S3's largest object fits in S3's 10,000 parts."""

from __future__ import annotations

import math

import pytest

from randfile.storage import PART_BYTES, part_size

MiB = 1024**2
GiB = 1024**3
S3_MAX_OBJECT = 5 * 1024**4
S3_MAX_PARTS = 10_000
S3_MIN_PART = 5 * MiB
S3_MAX_PART = 5 * GiB


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, PART_BYTES),
        (1, PART_BYTES),
        (10 * GiB, PART_BYTES),
        (S3_MAX_PARTS * PART_BYTES, PART_BYTES),
        (S3_MAX_PARTS * PART_BYTES + 1, 2 * PART_BYTES),
        (S3_MAX_OBJECT, GiB),
    ],
)
def test_parts_are_8_mib_until_the_file_needs_more_than_10000(
    size: int | None, expected: int
) -> None:
    assert part_size(size) == expected


@pytest.mark.parametrize(
    "size",
    [78 * GiB, 79 * GiB, 100 * GiB, 1000 * GiB, 2500 * GiB, S3_MAX_OBJECT - 1, S3_MAX_OBJECT],
)
def test_every_size_up_to_5_tib_fits_s3_s_part_limits(size: int) -> None:
    part = part_size(size)
    assert S3_MIN_PART <= part <= S3_MAX_PART
    assert math.ceil(size / part) <= S3_MAX_PARTS
    # The smallest part that fits, among the doublings of 8 MiB: half of it would not.
    assert part == PART_BYTES or math.ceil(size / (part // 2)) > S3_MAX_PARTS
