"""GetQueueAttributes as SQS answers it (localcloud.compat): the redrive allow policy read back,
both redrive policies as compact JSON, which is what the AWS provider compares with."""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud import compat


@pytest.fixture
def sqs(moto: None) -> object:
    compat._sqs_redrive_attributes_as_aws_answers()
    return boto3.client("sqs", region_name="eu-west-1")


def test_the_redrive_allow_policy_reads_back_and_both_policies_are_compact(sqs: object) -> None:
    client = boto3.client("sqs", region_name="eu-west-1")
    dead_letter = client.create_queue(QueueName="dlq")["QueueUrl"]
    dead_letter_arn = client.get_queue_attributes(
        QueueUrl=dead_letter, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    source_arn = dead_letter_arn.replace(":dlq", ":jobs")
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]}
    client.set_queue_attributes(
        QueueUrl=dead_letter, Attributes={"RedriveAllowPolicy": json.dumps(allow, indent=2)}
    )
    jobs = client.create_queue(
        QueueName="jobs",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 3}
            )
        },
    )["QueueUrl"]

    named = client.get_queue_attributes(QueueUrl=dead_letter, AttributeNames=["RedriveAllowPolicy"])
    assert named["Attributes"] == {"RedriveAllowPolicy": json.dumps(allow, separators=(",", ":"))}
    everything = client.get_queue_attributes(QueueUrl=jobs, AttributeNames=["All"])["Attributes"]
    assert everything["RedrivePolicy"] == (
        f'{{"deadLetterTargetArn":"{dead_letter_arn}","maxReceiveCount":3}}'
    )
    # A queue without one answers none, not "None".
    assert "RedriveAllowPolicy" not in everything
    assert (
        client.get_queue_attributes(QueueUrl=jobs, AttributeNames=["RedriveAllowPolicy"]).get(
            "Attributes", {}
        )
        == {}
    )
