"""The function's metrics on the local cloud: the deployed function, called through the deployed
API, writes EMF lines that CloudWatch would turn into the metrics the alarms and dashboard read.

The emulator does not turn EMF into metrics, so tests/emf.py reads the lines the way CloudWatch
does. Uses the session's shared deployment.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from randfile_localcloud.cloud import Cloud
from tests import emf

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud")]

NAMESPACE = "randfile"


@pytest.fixture(scope="module")
def environment(outputs: dict[str, Any], local: Cloud) -> str:
    configuration = (
        local.workload().lambda_().get_function_configuration(FunctionName=outputs["function_name"])
    )
    return configuration["Environment"]["Variables"]["RANDFILE_ENVIRONMENT"]


def test_a_written_file_emits_its_metrics_by_format(local: Cloud, environment: str) -> None:
    response = local.call(json.dumps({"size_bytes": 4321, "format": "csv"}))
    assert response.status == 201, response.body
    written = local.verify(response)

    emitted = emf.by_name(response.logs)
    assert set(emitted) == {"FilesWritten", "BytesWritten", "GenerationTime", "UploadTime"}
    for metric in emitted.values():
        assert metric.namespace == NAMESPACE
        assert metric.dimensions == {"environment": environment, "format": "csv"}
    assert emitted["FilesWritten"].value == 1
    assert (emitted["BytesWritten"].value, emitted["BytesWritten"].unit) == (
        written.size_bytes,
        "Bytes",
    )
    assert emitted["GenerationTime"].unit == emitted["UploadTime"].unit == "Milliseconds"
    assert emitted["UploadTime"].value > 0
    # The EMF line leads back to the request's log lines.
    request_ids = {
        json.loads(line).get("request_id")
        for line in response.logs.splitlines()
        if line.startswith("{") and '"file written"' in line
    }
    assert request_ids == {emitted["FilesWritten"].request_id}


@contextlib.contextmanager
def _bucket_renamed(local: Cloud, function_name: str) -> Iterator[None]:
    """The function pointed at a bucket that does not exist, so S3 refuses its writes; put back."""
    client = local.workload().lambda_()
    variables = client.get_function_configuration(FunctionName=function_name)["Environment"][
        "Variables"
    ]
    broken = {**variables, "RANDFILE_BUCKET": f"{variables['RANDFILE_BUCKET']}-missing"}
    client.update_function_configuration(
        FunctionName=function_name, Environment={"Variables": broken}
    )
    try:
        yield
    finally:
        client.update_function_configuration(
            FunctionName=function_name, Environment={"Variables": variables}
        )


def test_an_s3_refusal_emits_the_failure_metric_the_alarm_reads(
    local: Cloud, outputs: dict[str, Any], environment: str
) -> None:
    with _bucket_renamed(local, outputs["function_name"]):
        response = local.call(json.dumps({"size_bytes": 100, "format": "binary"}))

    assert response.status == 502, response.body
    assert response.json()["error"]["code"] == "storage_error"
    (failure,) = emf.metrics(response.logs)
    assert (failure.namespace, failure.name, failure.unit, failure.value) == (
        NAMESPACE,
        "Failures",
        "Count",
        1,
    )
    # The dimensions the s3-refusals alarm reads (infra/modules/monitoring) are these.
    assert failure.dimensions == {"environment": environment, "code": "storage_error"}
    assert failure.request_id


def test_the_alarms_dashboard_and_queries_are_deployed(
    local: Cloud, outputs: dict[str, Any], environment: str
) -> None:
    workload = local.workload()
    cloudwatch = workload.cloudwatch()
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{outputs['function_name']}-")
    by_name = {alarm["AlarmName"]: alarm for alarm in alarms["MetricAlarms"]}
    refusals = by_name[f"{outputs['function_name']}-s3-refusals"]
    assert (refusals["Namespace"], refusals["MetricName"]) == (NAMESPACE, "Failures")
    assert {d["Name"]: d["Value"] for d in refusals["Dimensions"]} == {
        "environment": environment,
        "code": "storage_error",
    }
    oldest = by_name[f"{outputs['function_name']}-jobs-oldest-waiting"]
    assert (oldest["Namespace"], oldest["MetricName"]) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
    )
    assert {d["Name"]: d["Value"] for d in oldest["Dimensions"]} == {
        "QueueName": outputs["jobs_queue_url"].rsplit("/", 1)[-1]
    }
    for alarm_key, name in (
        ("jobs-failed", "JobsFailed"),
        ("jobs-abandoned", "JobsAbandoned"),
        ("datasets-failed", "DatasetsFailed"),
    ):
        jobs = by_name[f"{outputs['function_name']}-{alarm_key}"]
        assert (jobs["Namespace"], jobs["MetricName"]) == (NAMESPACE, name)
        assert {d["Name"]: d["Value"] for d in jobs["Dimensions"]} == {"environment": environment}
    dead_letter = by_name[f"{outputs['function_name']}-jobs-dead-letter"]
    dead_letter_queue = outputs["jobs_dead_letter_queue_url"].rsplit("/", 1)[-1]
    assert sorted(
        (query["MetricStat"]["Metric"]["MetricName"], query["MetricStat"]["Metric"]["Dimensions"])
        for query in dead_letter["Metrics"]
        if "MetricStat" in query
    ) == [
        (name, [{"Name": "QueueName", "Value": dead_letter_queue}])
        for name in ("ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesVisible")
    ]
    assert len(by_name) == 12
    for alarm in by_name.values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [outputs["alarm_topic_arn"]]
        assert alarm["TreatMissingData"] == "notBreaching"
    topic = workload.sns()
    attributes = topic.get_topic_attributes(TopicArn=outputs["alarm_topic_arn"])["Attributes"]
    # A customer managed key (an ARN), never the AWS managed alias/aws/sns CloudWatch cannot use.
    assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:")
    dashboard = cloudwatch.get_dashboard(DashboardName=outputs["dashboard_name"])
    assert json.loads(dashboard["DashboardBody"])["widgets"]


def test_the_function_log_lands_in_its_log_group_as_lambda_writes_it(
    local: Cloud, outputs: dict[str, Any]
) -> None:
    """What `make logs` (aws logs tail) and the saved queries read: the function's lines between
    Lambda's START and REPORT lines, in /aws/lambda/<function>."""
    response = local.call(json.dumps({"size_bytes": 10}))
    assert response.status == 201, response.body
    (written,) = [
        json.loads(line) for line in response.logs.splitlines() if '"file written"' in line
    ]
    request_id = written["request_id"]
    pages = (
        local.workload()
        .logs()
        .get_paginator("filter_log_events")
        .paginate(logGroupName=outputs["function_log_group_name"])
    )
    # Every line of the invocation names its request: Lambda's own, the JSON log, the EMF lines.
    lines = [
        event["message"]
        for page in pages
        for event in page["events"]
        if request_id in event["message"]
    ]
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert any('"file written"' in line for line in lines)
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
