"""localcloud.moto_speedups: moto's work done once gives the answers moto gives."""

from __future__ import annotations

import os

import pytest
from moto import backends

from localcloud import moto_speedups


def test_moto_s_modules_are_listed_once_and_answer_as_moto_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Restored after the test: apply() replaces the module's function for the whole process.
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    listed_by_moto = list(backends.list_of_moto_modules())
    moto_speedups.apply()
    listings: list[str] = []
    listdir = os.listdir

    def counted_listdir(path: str) -> list[str]:
        listings.append(path)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted_listdir)

    assert list(backends.list_of_moto_modules()) == listed_by_moto
    assert list(backends.list_of_moto_modules()) == listed_by_moto
    assert listings == []
    assert {"s3", "sqs", "awslambda", "apigateway"} <= set(listed_by_moto)
