"""Writes the Requirements, Providers, Modules, Resources, Inputs and Outputs tables of the
Terraform READMEs.

terraform-docs, the field's tool, is a Go binary on none of the registries this project installs
from (PyPI, npm, Debian), so this does its `markdown table` job for our roots with python-hcl2:
the tables go between terraform-docs' own markers (<!-- BEGIN_TF_DOCS --> / <!-- END_TF_DOCS -->)
in its format (sorted by name, anchors, `n/a`, `<pre>` for multi-line values), so switching to
terraform-docs later changes little. Everything outside the markers is the README's own prose;
a README without them gets them appended.

    python -m scripts.module_docs [ROOT ...]          # make docs
    python -m scripts.module_docs --check [ROOT ...]  # make docs-check (part of make lint)

--check regenerates, then fails on `git diff --exit-code` of the READMEs, the way
`terraform fmt -check` fails on an unformatted file: a stale table is rewritten and reported.
Default roots: infra/stack, infra/bootstrap and every infra/modules/<name>.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess  # nosec B404
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOTS = ("infra/stack", "infra/bootstrap", "infra/modules/*")
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
LOCK_FILE = ".terraform.lock.hcl"
NOT_SET = "n/a"

_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
_EXPRESSION = re.compile(r"^\$\{(.*)\}$", re.DOTALL)
_HEREDOC = re.compile(r"^<<(-?)([A-Za-z_]\w*)\n(.*?)\n?[ \t]*\2$", re.DOTALL)
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_URL = re.compile(r"\w+://\S+")


class ModuleDocsError(RuntimeError):
    """A README whose markers cannot be found in order."""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str | None
    type: str | None
    required: bool
    default: object


@dataclass(frozen=True)
class Output:
    name: str
    description: str | None


@dataclass(frozen=True)
class Versioned:
    """A row of the Requirements or Providers table."""

    name: str
    version: str | None


@dataclass(frozen=True)
class ModuleCall:
    """A row of the Modules table."""

    name: str
    source: str
    version: str | None


@dataclass(frozen=True)
class Resource:
    """A row of the Resources table: a managed resource or a data source, as terraform-docs
    names it (`<provider>_<type>.<name>`) and links it to the provider's registry page."""

    spec: str
    data: bool
    url: str | None

    @property
    def kind(self) -> str:
        return "data source" if self.data else "resource"


@dataclass(frozen=True)
class Root:
    """What the tables of one Terraform root module say."""

    requirements: list[Versioned]
    providers: list[Versioned]
    modules: list[ModuleCall]
    resources: list[Resource]
    variables: list[Variable]
    outputs: list[Output]


# --- Reading ------------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(
        path.read_text(encoding="utf-8"), serialization_options=_OPTIONS
    )
    return parsed


def _labelled(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of each block with one label (variable, output, provider...)."""
    for block in blocks:
        yield from block.items()


def _expression(value: str) -> str:
    """The text of an HCL expression, which python-hcl2 wraps in ${...}."""
    match = _EXPRESSION.match(value)
    return match.group(1) if match else value


def _string(value: object) -> str | None:
    """A literal string argument; a heredoc is unwrapped as Terraform reads it."""
    if value is None:
        return None
    text = str(value)
    heredoc = _HEREDOC.match(text)
    if heredoc:
        body = heredoc.group(3)
        text = textwrap.dedent(body) if heredoc.group(1) else body
    return text.strip()


def _locked_versions(root: Path) -> dict[str, str]:
    """Provider source address (registry.terraform.io/hashicorp/aws) -> version in the lock."""
    lock = root / LOCK_FILE
    if not lock.is_file():
        return {}
    return {
        address: str(body["version"])
        for address, body in _labelled(_load(lock).get("provider", []))
    }


def _registry_version(constraint: str | None) -> str:
    """The provider version in a resource's registry link: terraform-docs takes it from the
    constraint only when that pins one version (`5.1.0`, `= 5.1.0`), else `latest`."""
    if not constraint:
        return "latest"
    parts = constraint.split(" ")
    if len(parts) == 1:
        if parts[0][:1].isdigit():
            return parts[0]
        return parts[0][1:] if parts[0].startswith("=") else "latest"
    if len(parts) == 2 and parts[0] == "=":
        return parts[1]
    return "latest"


def _resource(
    resource_type: str, name: str, body: dict[str, Any], data: bool, required: dict[str, Any]
) -> Resource:
    """One Resources row, the way terraform-docs builds it: the provider is the `provider`
    argument's local name or the type's first word, its source the required_providers' (default
    hashicorp/<name>), the link https://registry.terraform.io/providers/<source>/<version>/docs/
    {resources,data-sources}/<type without the provider's prefix>; no link for a source outside
    the public registry (one with a host)."""
    provider_argument = body.get("provider")
    provider = (
        _expression(provider_argument).split(".")[0]
        if provider_argument
        else resource_type.split("_", maxsplit=1)[0]
    )
    settings = required.get(provider, {})
    source = str(settings.get("source", f"hashicorp/{provider}"))
    short_type = resource_type.removeprefix(f"{provider}_")
    url = None
    if source.count("/") <= 1:
        namespace, _, name_in_registry = source.partition("/")
        url = (
            f"https://registry.terraform.io/providers/{namespace}/{name_in_registry or namespace}/"
            f"{_registry_version(settings.get('version'))}/docs/"
            f"{'data-sources' if data else 'resources'}/{short_type}"
        )
    return Resource(spec=f"{provider}_{short_type}.{name}", data=data, url=url)


def read_root(root: Path) -> Root:
    """What root's *.tf files declare: requirements, providers, module calls, resources and data
    sources, variables and outputs."""
    required_version: str | None = None
    required: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    blocks: list[tuple[str, str, dict[str, Any], bool]] = []
    modules: list[ModuleCall] = []
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in sorted(root.glob("*.tf")):
        parsed = _load(path)
        for terraform in parsed.get("terraform", []):
            required_version = terraform.get("required_version", required_version)
            for providers in terraform.get("required_providers", []):
                required.update(
                    (name, body) for name, body in providers.items() if name != "__is_block__"
                )
        for name, body in _labelled(parsed.get("provider", [])):
            used.add(f"{name}.{body['alias']}" if "alias" in body else name)
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for resource_type, instances in block.items():
                    for name, body in instances.items():
                        provider = body.get("provider")
                        used.add(_expression(provider) if provider else resource_type.split("_")[0])
                        blocks.append((resource_type, name, body, kind == "data"))
        for name, body in _labelled(parsed.get("module", [])):
            pinned = body.get("version")
            modules.append(ModuleCall(name, str(body["source"]), str(pinned) if pinned else None))
        for name, body in _labelled(parsed.get("variable", [])):
            variables.append(
                Variable(
                    name=name,
                    description=_string(body.get("description")),
                    type=_expression(body["type"]) if "type" in body else None,
                    required="default" not in body,
                    default=body.get("default"),
                )
            )
        for name, body in _labelled(parsed.get("output", [])):
            outputs.append(Output(name=name, description=_string(body.get("description"))))

    locked = _locked_versions(root)

    def version(provider: str) -> str | None:
        # terraform-docs' rule: the locked version where the root has a lock file, else the
        # constraint.
        name = provider.partition(".")[0]
        settings = required.get(name, {})
        source = str(settings.get("source", f"hashicorp/{name}"))
        address = source if source.count("/") == 2 else f"registry.terraform.io/{source}"
        return locked.get(address) or settings.get("version")

    requirements = [Versioned(name, settings.get("version")) for name, settings in required.items()]
    resources = [_resource(*block, required) for block in blocks]
    return Root(
        requirements=(
            ([Versioned("terraform", required_version)] if required_version else [])
            + sorted(requirements, key=lambda row: row.name)
        ),
        providers=[Versioned(name, version(name)) for name in sorted(used)],
        modules=sorted(modules, key=lambda call: call.name),
        # terraform-docs' order: managed resources, then data sources, each by address.
        resources=sorted(resources, key=lambda resource: (resource.data, resource.spec)),
        variables=sorted(variables, key=lambda variable: variable.name),
        outputs=sorted(outputs, key=lambda output: output.name),
    )


# --- Rendering (terraform-docs' markdown table) -------------------------------------------------


def _escape_text(text: str) -> str:
    """Markdown emphasis characters and HTML tags shown as written, outside code spans and URLs."""

    def escape(prose: str) -> str:
        pieces = _URL.split(prose)
        urls = [*_URL.findall(prose), ""]
        return "".join(
            piece.replace("_", "\\_").replace("*", "\\*").replace("<", "&lt;") + url
            for piece, url in zip(pieces, urls, strict=True)
        )

    return "".join(
        part if part.startswith("`") else escape(part) for part in _CODE_SPAN.split(text)
    )


def _cell(text: str) -> str:
    """One table cell: a pipe never ends it, a newline becomes <br>."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    return _cell(f"<pre>{text}</pre>" if "\n" in text else f"`{text}`")


def _description(text: str | None) -> str:
    return _cell(_escape_text(text)) if text else NOT_SET


def _anchor(kind: str, name: str) -> str:
    escaped = name.replace("_", "\\_")
    return f'<a name="{kind}_{name}"></a> [{escaped}](#{kind}\\_{escaped})'


def _value(value: object) -> str:
    """A default as terraform-docs shows it: HCL literals, JSON for collections."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        match = _EXPRESSION.match(value)
        return match.group(1) if match else json.dumps(value)
    if isinstance(value, dict | list) and value:
        return json.dumps(_plain(value), indent=2, sort_keys=True)
    return json.dumps(value)


def _plain(value: object) -> object:
    """python-hcl2's values without its block markers."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if key != "__is_block__"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _table(header: str, separator: str, rows: list[str], empty: str) -> str:
    return "\n".join([header, separator, *rows]) if rows else empty


def render(root: Root) -> str:
    """The text terraform-docs' `markdown table` writes between its markers."""
    requirements = _table(
        "| Name | Version |",
        "|------|---------|",
        [
            f"| {_anchor('requirement', row.name)} | {_cell(row.version or NOT_SET)} |"
            for row in root.requirements
        ],
        "No requirements.",
    )
    providers = _table(
        "| Name | Version |",
        "|------|---------|",
        [
            f"| {_anchor('provider', row.name)} | {_cell(row.version or NOT_SET)} |"
            for row in root.providers
        ],
        "No providers.",
    )
    modules = _table(
        "| Name | Source | Version |",
        "|------|--------|---------|",
        [
            f"| {_anchor('module', call.name)} | {_cell(call.source)} "
            f"| {_cell(call.version or NOT_SET)} |"
            for call in root.modules
        ],
        "No modules.",
    )
    resources = _table(
        "| Name | Type |",
        "|------|------|",
        [
            f"| {f'[{row.spec}]({row.url})' if row.url else row.spec} | {row.kind} |"
            for row in root.resources
        ],
        "No resources.",
    )
    inputs = _table(
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
        [
            f"| {_anchor('input', variable.name)} | {_description(variable.description)} "
            f"| {_code(variable.type or 'any')} "
            f"| {NOT_SET if variable.required else _code(_value(variable.default))} "
            f"| {'yes' if variable.required else 'no'} |"
            for variable in root.variables
        ],
        "No inputs.",
    )
    outputs = _table(
        "| Name | Description |",
        "|------|-------------|",
        [
            f"| {_anchor('output', output.name)} | {_description(output.description)} |"
            for output in root.outputs
        ],
        "No outputs.",
    )
    return (
        f"## Requirements\n\n{requirements}\n\n## Providers\n\n{providers}\n\n"
        f"## Modules\n\n{modules}\n\n## Resources\n\n{resources}\n\n"
        f"## Inputs\n\n{inputs}\n\n## Outputs\n\n{outputs}"
    )


def inject(readme: str, content: str) -> str:
    """readme with content between the markers (appended with them when they are missing)."""
    block = f"{BEGIN}\n{content}\n{END}"
    begin, end = readme.find(BEGIN), readme.find(END)
    if begin == -1 and end == -1:
        return f"{readme.rstrip()}\n\n{block}\n" if readme.strip() else f"{block}\n"
    if begin == -1 or end < begin:
        raise ModuleDocsError(f"{BEGIN} must come once, before {END}")
    return readme[:begin] + block + readme[end + len(END) :]


# --- Command line -------------------------------------------------------------------------------


def default_roots() -> list[Path]:
    return [path for pattern in DEFAULT_ROOTS for path in sorted(REPO.glob(pattern))]


def write(root: Path) -> bool:
    """Regenerate root/README.md; True if its text changed."""
    readme = root / "README.md"
    before = readme.read_text(encoding="utf-8") if readme.exists() else ""
    try:
        after = inject(before, render(read_root(root)))
    except ModuleDocsError as error:
        raise ModuleDocsError(f"{readme}: {error}") from error
    if after != before:
        readme.write_text(after, encoding="utf-8")
    return after != before


def stale(readme: Path) -> bool:
    """`git diff --exit-code` of one README: True when it differs from the index."""
    git = shutil.which("git") or "git"
    result = subprocess.run(  # noqa: S603  # nosec B603
        [git, "diff", "--exit-code", "--", readme.name],
        cwd=readme.parent,
        check=False,
    )
    return result.returncode != 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.module_docs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("roots", nargs="*", type=Path, help="Terraform root folders")
    parser.add_argument(
        "--check", action="store_true", help="regenerate, then fail on git diff of the READMEs"
    )
    args = parser.parse_args(argv)
    roots: list[Path] = args.roots or default_roots()
    try:
        for root in roots:
            if write(root):
                print(f"module_docs: wrote {root / 'README.md'}")
    except ModuleDocsError as error:
        print(f"module_docs: {error}", file=sys.stderr)
        return 2
    if args.check:
        outdated = [root / "README.md" for root in roots if stale(root / "README.md")]
        if outdated:
            print(
                "module_docs: tables out of date (regenerated above; review and commit): "
                + ", ".join(str(path) for path in outdated),
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
