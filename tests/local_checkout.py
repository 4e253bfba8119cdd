"""A stand-in for the checkout `make demo` ran in, as the client finds it (randfile_client.targets:
the stack's main.tf and scripts/terraform mark the checkout): the files `--env local` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from randfile_client import targets


def local_checkout(root: Path, endpoint: dict[str, Any], credentials: str | None = None) -> Path:
    """Makes `root` a checkout whose endpoint file holds `endpoint` and, with `credentials`, whose
    credentials file holds them; answers the credentials file's path."""
    (root / "infra" / "stack").mkdir(parents=True)
    (root / "infra" / "stack" / "main.tf").write_text("")
    (root / "scripts").mkdir()
    (root / "scripts" / "terraform").write_text("")
    endpoint_file = root / targets.LOCAL_ENDPOINT_FILE
    endpoint_file.parent.mkdir(parents=True)
    endpoint_file.write_text(json.dumps(endpoint))
    credentials_file = root / targets.LOCAL_CREDENTIALS_FILE
    if credentials is not None:
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(credentials)
    return credentials_file
