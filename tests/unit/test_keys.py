from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from randfile.keys import new_object_key, ulid


def test_key_shape() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    key = new_object_key("random/", ".csv", moment)
    assert re.fullmatch(r"random/2026/03/04/[0-9A-HJKMNP-TV-Z]{26}\.csv", key)


def test_keys_sort_by_time() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [ulid(start + timedelta(milliseconds=step)) for step in range(0, 5000, 7)]
    assert ids == sorted(ids)


def test_no_collision_in_100000_keys_in_the_same_millisecond() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    keys = {new_object_key("random/", ".bin", moment) for _ in range(100_000)}
    assert len(keys) == 100_000
