"""Where moto spends the emulator's CPU on work whose answer cannot change while it runs.

Unlike localcloud.compat, nothing here changes an answer: each patch only stops moto from doing
the same work again. Applied inside the emulator process only, before it serves.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from moto import backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam import models as iam_models
from moto.s3 import models as s3_models


def _moto_modules_listed_once() -> None:
    """moto's server asks `host in backends.list_of_moto_modules()` for every request it
    dispatches (moto 5.2.5, moto/moto_server/werkzeug_app.py, get_backend_for_host): a listing of
    moto's package folder and a stat of each of its ~200 entries. The installed package does not
    change while the emulator runs, so it is listed once; a profile of the jobs' end-to-end tests
    put the listing at about 4 % of the emulator's CPU."""
    modules = tuple(backends.list_of_moto_modules())

    def listed() -> Iterable[str]:
        return modules

    backends.list_of_moto_modules = listed


class _ListedVersion(s3_models.FakeKey):
    """An object version's attributes, for a listing: without the content, which stays with the
    version (a FakeKey closes its content when it is disposed of, as the garbage collector does
    to a copy, so a copy must not hold the version's). Reading its content fails loudly."""

    def dispose(self, garbage: bool = False) -> None:
        del garbage
        self.disposed = True


def _listing_copy(version: Any) -> Any:
    """A copy of an object version (or delete marker) with its attributes, not its content.

    The version's ETag is computed first, under the version's lock (as deepcopy's read of the
    content took it), so the copy holds everything a listing answers with."""
    if not isinstance(version, s3_models.FakeKey):
        return copy.copy(version)
    with version.lock:
        _ = version.etag
    listed = object.__new__(_ListedVersion)
    listed.__dict__.update(version.__dict__)
    del listed.__dict__["_value_buffer"]
    return listed


class _ListingCopies:
    """What moto.s3.models calls `copy`, with a deep copy of a key's versions that copies their
    attributes only.

    ListObjectVersions deep-copies every version of every key in the bucket to mark the copies
    IsLatest (moto 5.2.5, moto/s3/models.py, S3Backend.list_object_versions: the module's only
    deep copy; the unit test checks it stays the only one). A FakeKey's deep copy goes through
    its __getstate__ and __setstate__, which read its whole content and write it into a new
    buffer: each listing cost as much as reading the bucket, 11 % of the jobs' emulator's CPU in a
    profile. The copies are only read to answer the listing, so they share the content instead.
    Anything else goes to the copy module itself."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any) -> Any:
        versions = (s3_models.FakeKey, s3_models.FakeDeleteMarker)
        if isinstance(value, list) and all(isinstance(each, versions) for each in value):
            return [_listing_copy(each) for each in value]
        return copy.deepcopy(value)


def _object_versions_listed_without_copying_their_content() -> None:
    s3_models.copy = _ListingCopies  # type: ignore[attr-defined,assignment]


def account_of(access_key: str) -> str:
    """The account whose IAM holds `access_key` (a user's key or one STS issued), as moto's
    get_account_id_from answers, but reading only the IAM backends that exist.

    moto's own (moto 5.2.5, moto/iam/models.py) reads each account's backend of each of the six
    partitions, and reading one creates it: with MOTO_IAM_LOAD_MANAGED_POLICIES
    (localcloud.emulator) each creation loads AWS's ~1,300 managed policies, about 0.1 s of CPU,
    so every account the emulator met cost six of them, five for partitions nothing uses: a third
    of the busy samples of ten emulators in a py-spy profile of an end-to-end suite. A key can
    only be held by a backend that exists, so the answer is the same; an unknown key still gets
    moto's default account."""
    for account_id, account in list(iam_models.iam_backends.items()):
        # dict.values: the partitions' backends made so far, without making the others.
        if any(access_key in backend.access_keys for backend in list(dict.values(account))):
            return account_id
    return DEFAULT_ACCOUNT_ID


def _accounts_found_without_making_backends() -> None:
    # moto.core.responses imports the function at each call, so replacing it in its module
    # reaches every request moto answers; localcloud's signing and principals call it there too.
    iam_models.get_account_id_from = account_of


def apply() -> None:
    """Apply every patch; the emulator process calls this once, before serving."""
    _moto_modules_listed_once()
    _object_versions_listed_without_copying_their_content()
    _accounts_found_without_making_backends()
