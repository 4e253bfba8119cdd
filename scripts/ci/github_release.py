#!/usr/bin/env python3
"""Create the GitHub release of a tag with its notes and every file of the release directory.

The release is created as a draft, its assets are uploaded, and only then is it published: no
one sees a release without its files, and a repository with immutable releases switched on
accepts assets only before publication
(https://docs.github.com/en/code-security/supply-chain-security/understanding-your-software-supply-chain/immutable-releases).
REST calls, with the run's GITHUB_TOKEN (`contents: write`):
"Create a release", "Update a release" and "Delete a release"
(https://docs.github.com/en/rest/releases/releases) and "Upload a release asset" to the
`upload_url` the created release names (https://docs.github.com/en/rest/releases/assets).

Re-running the job: a draft an earlier attempt left for the tag is deleted and made again; a
published release of the tag is never rewritten, and the job says so and fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scripts.ci.github_api import GitHub, append_step_summary

# GitHub stores a release asset under the name the upload gives, with this type for all of ours.
ASSET_CONTENT_TYPE = "application/octet-stream"


class PublishedError(Exception):
    """The tag already has a published release."""


def existing_release(github: GitHub, tag: str) -> dict[str, Any] | None:
    """The tag's release, drafts included (listed to tokens with push access)."""
    return next((r for r in github.pages("/releases") if r["tag_name"] == tag), None)


def upload_url(release: dict[str, Any], name: str) -> str:
    # upload_url is a URI template: https://uploads.github.com/.../assets{?name,label}
    return f"{release['upload_url'].split('{', 1)[0]}?name={quote(name, safe='')}"


def publish(github: GitHub, tag: str, notes: str, assets: Sequence[Path]) -> dict[str, Any]:
    """The published release, with ``assets`` attached under their file names."""
    earlier = existing_release(github, tag)
    if earlier is not None:
        if not earlier["draft"]:
            raise PublishedError(
                f"{tag} is already released ({earlier.get('html_url')}): a release is never "
                "rewritten; tag a new version"
            )
        print(f"deleting the draft an earlier attempt left for {tag}")
        github.call("DELETE", f"/releases/{earlier['id']}")
    draft = github.call(
        "POST", "/releases", {"tag_name": tag, "name": tag, "body": notes, "draft": True}
    )
    for asset in assets:
        github.upload(upload_url(draft, asset.name), asset.read_bytes(), ASSET_CONTENT_TYPE)
        print(f"attached {asset.name}")
    published: dict[str, Any] = github.call("PATCH", f"/releases/{draft['id']}", {"draft": False})
    return published


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tag", required=True)
    parser.add_argument("--notes", type=Path, required=True, help="the release notes (markdown)")
    parser.add_argument("--assets", type=Path, required=True, help="directory of files to attach")
    args = parser.parse_args(argv)
    assets = sorted(path for path in args.assets.iterdir() if path.is_file())
    if not assets:
        raise SystemExit(f"no files to attach in {args.assets}")
    try:
        release = publish(
            GitHub.from_environment(), args.tag, args.notes.read_text(encoding="utf-8"), assets
        )
    except PublishedError as refusal:
        print(f"::error title=Not releasing {args.tag}::{refusal}", file=sys.stderr)
        return 1
    print(f"released {args.tag}: {release.get('html_url')}")
    append_step_summary(
        f"### Released [{args.tag}]({release.get('html_url')})\n\n"
        + "".join(f"- `{asset.name}`\n" for asset in assets)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
