from __future__ import annotations

import pytest

from randfile.config import DEFAULT_KEY_PREFIX, DEFAULT_MAX_BYTES, load_settings
from randfile.errors import MisconfiguredError

GOOD = {"RANDFILE_BUCKET": "randfile-dev-data", "RANDFILE_BUCKET_OWNER": "111111111111"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.bucket == "randfile-dev-data"
    assert settings.bucket_owner == "111111111111"
    assert settings.key_prefix == DEFAULT_KEY_PREFIX == "random/"
    assert settings.max_bytes == DEFAULT_MAX_BYTES == 104_857_600


def test_explicit_values() -> None:
    settings = load_settings(
        {**GOOD, "RANDFILE_KEY_PREFIX": "loadtest/run-1/", "RANDFILE_MAX_BYTES": "2048"}
    )
    assert settings.key_prefix == "loadtest/run-1/"
    assert settings.max_bytes == 2048


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RANDFILE_BUCKET", None),
        ("RANDFILE_BUCKET", "Upper_Case"),
        ("RANDFILE_BUCKET", "ab"),
        ("RANDFILE_BUCKET_OWNER", None),
        ("RANDFILE_BUCKET_OWNER", "12345678901"),
        ("RANDFILE_BUCKET_OWNER", "12345678901a"),
        ("RANDFILE_KEY_PREFIX", ""),
        ("RANDFILE_KEY_PREFIX", "no-slash"),
        ("RANDFILE_KEY_PREFIX", "/absolute/"),
        ("RANDFILE_KEY_PREFIX", "a//b/"),
        ("RANDFILE_MAX_BYTES", "0"),
        ("RANDFILE_MAX_BYTES", "-5"),
        ("RANDFILE_MAX_BYTES", "1e6"),
        ("RANDFILE_MAX_BYTES", str(5 * 1024**4 + 1)),
    ],
)
def test_bad_setting_names_the_variable(name: str, value: str | None) -> None:
    environ = dict(GOOD)
    if value is None:
        environ.pop(name)
    else:
        environ[name] = value
    with pytest.raises(MisconfiguredError, match=name):
        load_settings(environ)
