from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from randfile.keys import is_ulid, new_object_key, ulid


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


def test_every_ulid_made_is_recognised_and_nothing_else() -> None:
    moments = [datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]
    assert all(is_ulid(ulid(moment)) for moment in moments for _ in range(1000))
    for other in ("", "01JDZQ5V8X6M3N2P4R7S9T0W1", "01JDZQ5V8X6M3N2P4R7S9T0W1YZ", "8" + "0" * 25):
        assert not is_ulid(other)
    # Crockford base32 has no I, L, O or U, and ULIDs are written in upper case.
    for letter in "ILOUa":
        assert not is_ulid("01JDZQ5V8X6M3N2P4R7S9T0W1" + letter)
    assert not is_ulid(None)
    assert not is_ulid(ulid(moments[1]) + "\n")
