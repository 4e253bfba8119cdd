"""The repository's files as a checkout has them: what git tracks, plus new files not ignored.

Not a directory walk: virtualenvs, build output and Terraform's working directories never count,
and a file only added to the working tree, not yet committed, does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def repository_files(*pathspecs: str) -> list[Path]:
    """Paths relative to the repository's root of the files matching git pathspecs (globs)."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *pathspecs],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # A file deleted in the working tree but still in the index is not there to read.
    return [Path(name) for name in listing.splitlines() if (REPO / name).is_file()]
