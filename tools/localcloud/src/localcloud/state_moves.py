"""Resource instances moved to other addresses in a local Terraform state file, all in one rewrite.

`terraform state mv` moves one address per command, and every command starts the provider to read
its schema (about 1.4 s of CPU for the AWS provider). A test that rebuilds a state from before a
refactor (to prove that its `moved` blocks cover every address) moves a dozen or more, so it
rewrites the file once instead. The result is what `terraform state mv` leaves: the instance's
object unchanged under its new resource and key, a resource left without instances removed, and
the serial raised so Terraform takes the file as newer.

Only what such a test needs: managed resources at the root or in a module call without a key, and
instance keys that are strings or absent. The file is Terraform's state format version 4 (the one
Terraform has written since 0.12; it is not a public interface, so a version other than 4 is
refused rather than guessed at). Terraform checks the result itself: the test's `terraform plan`
reads it, and the plan's "has moved to" lines count the moves it found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ADDRESS = re.compile(
    r"^(?:(?P<module>module\.[A-Za-z0-9_-]+)\.)?(?P<type>[A-Za-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)"
    r'(?:\["(?P<key>[^"\]]+)"\])?$'
)


@dataclass(frozen=True)
class InstanceAddress:
    """One managed resource instance: `module.m.type.name["key"]`, module and key optional."""

    module: str | None
    type: str
    name: str
    key: str | None

    @classmethod
    def parse(cls, address: str) -> InstanceAddress:
        match = _ADDRESS.match(address)
        if match is None:
            raise ValueError(
                f"{address!r} is not a managed resource instance address this rewrite handles"
                ' (module.NAME.TYPE.NAME["KEY"], module and key optional)'
            )
        return cls(match["module"], match["type"], match["name"], match["key"])

    def holds(self, resource: Mapping[str, Any]) -> bool:
        return (
            resource.get("mode") == "managed"
            and resource.get("module") == self.module
            and resource.get("type") == self.type
            and resource.get("name") == self.name
        )


def move_instances(state_file: Path, moves: Mapping[str, str]) -> None:
    """Move each instance of ``moves`` (from address: to address) within ``state_file``.

    A source that is not in the state, or a destination already taken, is an error (as in
    `terraform state mv`) and leaves the file as it was."""
    state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
    if state.get("version") != 4:
        raise ValueError(f"{state_file}: state format version {state.get('version')}, not 4")
    resources: list[dict[str, Any]] = state["resources"]
    for source_text, destination_text in moves.items():
        source = InstanceAddress.parse(source_text)
        destination = InstanceAddress.parse(destination_text)
        owner = next((r for r in resources if source.holds(r)), None)
        instance = next(
            (i for i in (owner or {}).get("instances", []) if i.get("index_key") == source.key),
            None,
        )
        if owner is None or instance is None:
            raise ValueError(f"{source_text} is not in {state_file}")
        target = next((r for r in resources if destination.holds(r)), None)
        if target is None:
            target = {
                **({"module": destination.module} if destination.module else {}),
                "mode": "managed",
                "type": destination.type,
                "name": destination.name,
                "provider": owner["provider"],
                "instances": [],
            }
            resources.append(target)
        if any(i.get("index_key") == destination.key for i in target["instances"]):
            raise ValueError(f"{destination_text} is already in {state_file}")
        owner["instances"].remove(instance)
        instance.pop("index_key", None)
        if destination.key is not None:
            instance["index_key"] = destination.key
        target["instances"].append(instance)
        if not owner["instances"]:
            resources.remove(owner)
    state["serial"] = int(state["serial"]) + 1
    state_file.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
