"""The one deployment of infra/stack that every localcloud end-to-end module shares.

Deploying takes a minute or two, so it is made once per session: once per xdist worker, and the
modules that use it are kept on as few workers as pays. Under `--dist loadgroup` an xdist group
stays on one worker: the `localcloud` group holds the API's, metrics' and the deployment's own
modules; the jobs' and datasets' modules, which wait minutes for the worker, form the
`localcloud_jobs` group; and the two that send hundreds of calls (schemathesis, the load test),
several minutes of calls in a row, form the `localcloud_traffic` group, with least privilege's
(it reads the deployed state and plans the bootstrap; that group had minutes to spare). Each group
runs on a worker of its own beside the others, on its own deployment: one group holding them all
was the last to end, by minutes, with the other workers done and a core idle.
The test marked `destroys_localcloud` tears the stack down and is therefore moved after every
other test, whatever the file order.

The pipeline rehearsal's modules deploy through the pipeline's own jobs instead: each has a
local cloud of its own (the module-scoped `pipeline`) and a group of its own (`rehearsal`,
`rehearsal_reruns`), so that their two deployments' waits overlap on two workers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import endpoint
from localcloud.paths import Paths
from randfile_localcloud.cloud import Cloud
from randfile_localcloud.settings import DEFAULT_ZIP
from tests.e2e.deploys import report_emulator_errors, sent_twice
from tests.e2e.pipeline import Pipeline, rehearsal

DESTROYS = "destroys_localcloud"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{DESTROYS}: destroys the shared local cloud deployment, so it runs last"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort keeps the collection order of everything else.
    items.sort(key=lambda item: item.get_closest_marker(DESTROYS) is not None)


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    if not DEFAULT_ZIP.is_file():
        pytest.fail(f"{DEFAULT_ZIP} is missing: run `make build` first (make test-e2e does)")
    # Made again, once, on a new local cloud if a create was sent twice (tests/e2e/deploys.py).
    for attempt in (1, 2):
        # Encrypted with a customer managed key as in prod; `make demo` covers the SSE-S3 default.
        cloud = Cloud(
            Paths(tmp_path_factory.mktemp("localcloud")), DEFAULT_ZIP, {"kms_encryption": True}
        )
        try:
            cloud.up()
            cloud.deploy()
            break
        except Exception as error:
            report_emulator_errors(cloud.paths.state_dir)
            cloud.discard()
            if attempt == 2 or not sent_twice(error):
                raise
            print("a create was sent twice: deploying again on a new local cloud", file=sys.stderr)
    try:
        yield cloud
    finally:
        # Destroying is test_destroy_leaves_nothing_behind's to check, on the `localcloud` group's
        # deployment; here it would only cost a minute of terraform destroy per deployment.
        cloud.discard()


@pytest.fixture(scope="session")
def outputs(local: Cloud) -> dict[str, Any]:
    return local.outputs()


@pytest.fixture(scope="session")
def published(local: Cloud) -> endpoint.Published:
    """The API's HTTP endpoint, the caller's credentials profile and the API key, as `make demo`
    hands them to clients."""
    return local.publish_endpoint()


@pytest.fixture(scope="session")
def client_environment(
    published: endpoint.Published, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment of an independent client process: only the published profile, no
    developer's ~/.aws and no ambient AWS variable."""
    home = tmp_path_factory.mktemp("client-home")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(
        HOME=str(home),
        AWS_SHARED_CREDENTIALS_FILE=str(published.credentials_file),
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_PROFILE=published.profile,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return environment


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The deploy workflow on a local cloud of the requesting module's own, nothing deployed."""
    with rehearsal(tmp_path_factory.mktemp("rehearsal")) as running:
        yield running
