"""The jobs queue's event source mapping of a deployed stack, switched off and on by the tests
that need jobs to wait in the queue (as they do when every worker is busy)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from localcloud.faults import FaultClient
from randfile_localcloud.cloud import Cloud


def jobs_mapping(local: Cloud, outputs: dict[str, Any]) -> str:
    """The UUID of the mapping from the jobs queue to the worker."""
    queue_arn = (
        local.workload()
        .sqs()
        .get_queue_attributes(QueueUrl=outputs["jobs_queue_url"], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    )
    worker = f":function:{outputs['worker_function_name']}"
    listed = local.workload().lambda_().list_event_source_mappings()["EventSourceMappings"]
    [uuid] = [
        m["UUID"]
        for m in listed
        if m["EventSourceArn"] == queue_arn and m["FunctionArn"].endswith(worker)
    ]
    return str(uuid)


@contextlib.contextmanager
def jobs_waiting(local: Cloud, outputs: dict[str, Any]) -> Iterator[None]:
    """Jobs accepted inside wait in the queue; they start when the block ends."""
    uuid = jobs_mapping(local, outputs)
    lambda_ = local.workload().lambda_()
    lambda_.update_event_source_mapping(UUID=uuid, Enabled=False)
    # A receive under way could still take a message sent now: wait until the local cloud's
    # poller has let the mapping go.
    control = FaultClient(local.endpoint_url)
    deadline = time.monotonic() + 30
    while uuid in control.status()["event_source_mappings"]["mappings"]:
        assert time.monotonic() < deadline, f"the poller still polls mapping {uuid}"
        time.sleep(0.2)
    try:
        yield
    finally:
        lambda_.update_event_source_mapping(UUID=uuid, Enabled=True)
