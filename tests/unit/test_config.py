from __future__ import annotations

import pytest

from randfile import config
from randfile.config import DEFAULT_KEY_PREFIX, DEFAULT_MAX_SYNC_BYTES, JobSettings, load_settings
from randfile.errors import MisconfiguredError

GOOD = {"RANDFILE_BUCKET": "randfile-dev-data", "RANDFILE_BUCKET_OWNER": "111111111111"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.bucket == "randfile-dev-data"
    assert settings.bucket_owner == "111111111111"
    assert settings.key_prefix == DEFAULT_KEY_PREFIX == "random/"
    assert settings.max_sync_bytes == DEFAULT_MAX_SYNC_BYTES == 104_857_600


def test_explicit_values() -> None:
    settings = load_settings(
        {**GOOD, "RANDFILE_KEY_PREFIX": "loadtest/run-1/", "RANDFILE_MAX_SYNC_BYTES": "2048"}
    )
    assert settings.key_prefix == "loadtest/run-1/"
    assert settings.max_sync_bytes == 2048


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
        ("RANDFILE_MAX_SYNC_BYTES", "0"),
        ("RANDFILE_MAX_SYNC_BYTES", "-5"),
        ("RANDFILE_MAX_SYNC_BYTES", "1e6"),
        ("RANDFILE_MAX_SYNC_BYTES", str(5 * 1024**4 + 1)),
        ("RANDFILE_MAX_JOB_BYTES", "0"),
        ("RANDFILE_MAX_JOB_BYTES", "10GiB"),
        ("RANDFILE_MAX_JOB_BYTES", str(5 * 1024**4 + 1)),
        ("RANDFILE_JOB_RETENTION_DAYS", "0"),
        ("RANDFILE_JOB_RETENTION_DAYS", "366"),
        ("RANDFILE_JOB_RETENTION_DAYS", "7d"),
        ("RANDFILE_JOBS_TABLE", ""),
        ("RANDFILE_JOBS_TABLE", "no spaces"),
        ("RANDFILE_JOB_QUEUE_URL", ""),
        ("RANDFILE_JOB_QUEUE_URL", "randfile-dev-jobs"),
        ("RANDFILE_JOB_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/1111/randfile-dev-jobs"),
        ("RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN", "arn:aws:s3:::bucket"),
        ("RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN", "randfile-dev-jobs-dead-letter"),
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


def test_jobs_defaults_and_their_absence() -> None:
    settings = load_settings(GOOD)
    assert settings.max_job_bytes == 10 * 1024**3 == 10_737_418_240
    assert settings.job_retention_days == 7
    # The synchronous path needs none of the job settings; only asking for them fails.
    with pytest.raises(
        MisconfiguredError,
        match="RANDFILE_JOBS_TABLE, RANDFILE_JOB_QUEUE_URL, RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN",
    ):
        settings.jobs()


@pytest.mark.parametrize(
    "queue_url",
    [
        "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-dev-jobs",
        "http://127.0.0.1:4566/111111111111/randfile-dev-jobs",
    ],
)
def test_jobs_settings(queue_url: str) -> None:
    dead_letter = "arn:aws:sqs:eu-west-1:111111111111:randfile-dev-jobs-dead-letter"
    settings = load_settings(
        {
            **GOOD,
            "RANDFILE_JOBS_TABLE": "randfile-dev-jobs",
            "RANDFILE_JOB_QUEUE_URL": queue_url,
            "RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN": dead_letter,
            "RANDFILE_MAX_JOB_BYTES": "1073741824",
            "RANDFILE_JOB_RETENTION_DAYS": "30",
        }
    )
    assert settings.max_job_bytes == 1024**3
    assert settings.jobs() == JobSettings("randfile-dev-jobs", queue_url, dead_letter, 30)


def test_one_missing_job_setting_is_named() -> None:
    settings = load_settings({**GOOD, "RANDFILE_JOBS_TABLE": "randfile-dev-jobs"})
    with pytest.raises(
        MisconfiguredError,
        match=r"^RANDFILE_JOB_QUEUE_URL, RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN must be set",
    ):
        settings.jobs()


def test_the_old_name_of_the_synchronous_limit_still_works_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config._warn_renamed.cache_clear()
    with caplog.at_level("WARNING", logger="randfile.config"):
        settings = load_settings({**GOOD, "RANDFILE_MAX_BYTES": "2048"})
        again = load_settings({**GOOD, "RANDFILE_MAX_BYTES": "2048"})
    assert settings.max_sync_bytes == again.max_sync_bytes == 2048
    warnings = [r.getMessage() for r in caplog.records if "RANDFILE_MAX_BYTES" in r.getMessage()]
    # Once per execution environment, not once per invocation.
    assert len(warnings) == 1
    assert "set RANDFILE_MAX_SYNC_BYTES instead" in warnings[0]
    # The new name wins when both are set; a bad old value is named by the new name.
    both = load_settings({**GOOD, "RANDFILE_MAX_BYTES": "2048", "RANDFILE_MAX_SYNC_BYTES": "4096"})
    assert both.max_sync_bytes == 4096
    with pytest.raises(MisconfiguredError, match="RANDFILE_MAX_SYNC_BYTES"):
        load_settings({**GOOD, "RANDFILE_MAX_BYTES": "lots"})
