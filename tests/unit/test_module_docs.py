"""scripts/module_docs.py: terraform-docs' tables, written between its markers from the code."""

# The expected README holds table rows, one per line, longer than the line limit.
# ruff: noqa: E501

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from scripts import module_docs

VERSIONS_TF = """\
terraform {
  required_version = ">= 1.5"
  required_providers {
    random = { source = "hashicorp/random", version = ">= 3.6" }
  }
}
"""

MAIN_TF = """\
resource "random_id" "this" {
  byte_length = 4
}
"""

VARIABLES_TF = """\
variable "bucket_name" {
  description = "Name of the bucket."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "environments" {
  description = <<-EOT
    Environments, one of
    dev | prod.
  EOT
  type        = list(string)
  default     = ["dev", "prod"]
}

variable "settings" {
  type = object({
    size = number
  })
  default = { size = 1 }
}

variable "anything" {
  default = null
}
"""

OUTPUTS_TF = """\
output "bucket_arn" {
  description = "ARN of the `bucket_name` bucket."
  value       = random_id.this.hex
}

output "undocumented" {
  value = random_id.this.id
}
"""

EXPECTED_TABLES = """\
<!-- BEGIN_TF_DOCS -->
## Requirements

| Name | Version |
|------|---------|
| <a name="requirement_terraform"></a> [terraform](#requirement\\_terraform) | >= 1.5 |
| <a name="requirement_random"></a> [random](#requirement\\_random) | >= 3.6 |

## Providers

| Name | Version |
|------|---------|
| <a name="provider_random"></a> [random](#provider\\_random) | >= 3.6 |

## Modules

No modules.

## Resources

| Name | Type |
|------|------|
| [random_id.this](https://registry.terraform.io/providers/hashicorp/random/latest/docs/resources/id) | resource |

## Inputs

| Name | Description | Type | Default | Required |
|------|-------------|------|---------|:--------:|
| <a name="input_anything"></a> [anything](#input\\_anything) | n/a | `any` | `null` | no |
| <a name="input_bucket_name"></a> [bucket\\_name](#input\\_bucket\\_name) | Name of the bucket. | `string` | n/a | yes |
| <a name="input_environments"></a> [environments](#input\\_environments) | Environments, one of<br>dev \\| prod. | `list(string)` | <pre>[<br>  "dev",<br>  "prod"<br>]</pre> | no |
| <a name="input_settings"></a> [settings](#input\\_settings) | n/a | `object({size = number})` | <pre>{<br>  "size": 1<br>}</pre> | no |
| <a name="input_tags"></a> [tags](#input\\_tags) | Tags added to every resource. | `map(string)` | `{}` | no |

## Outputs

| Name | Description |
|------|-------------|
| <a name="output_bucket_arn"></a> [bucket\\_arn](#output\\_bucket\\_arn) | ARN of the `bucket_name` bucket. |
| <a name="output_undocumented"></a> [undocumented](#output\\_undocumented) | n/a |
<!-- END_TF_DOCS -->
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    root = tmp_path / "module"
    root.mkdir()
    for name, text in {
        "versions.tf": VERSIONS_TF,
        "main.tf": MAIN_TF,
        "variables.tf": VARIABLES_TF,
        "outputs.tf": OUTPUTS_TF,
    }.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "README.md").write_text(
        f"# module\n\nProse.\n\n{module_docs.BEGIN}\nstale\n{module_docs.END}\n\nAfter.\n",
        encoding="utf-8",
    )
    return root


def readme(root: Path) -> str:
    return (root / "README.md").read_text(encoding="utf-8")


def test_writes_terraform_docs_tables_between_the_markers(module: Path) -> None:
    assert module_docs.main([str(module)]) == 0
    assert readme(module) == f"# module\n\nProse.\n\n{EXPECTED_TABLES}\nAfter.\n"


def test_a_second_run_changes_nothing(module: Path) -> None:
    module_docs.main([str(module)])
    assert module_docs.write(module) is False


def test_a_readme_without_markers_gets_them_appended(module: Path) -> None:
    (module / "README.md").write_text("# module\n", encoding="utf-8")
    module_docs.main([str(module)])
    assert readme(module) == f"# module\n\n{EXPECTED_TABLES}"


def test_markers_out_of_order_are_refused(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (module / "README.md").write_text(f"{module_docs.END}\n{module_docs.BEGIN}\n", encoding="utf-8")
    assert module_docs.main([str(module)]) == 2
    assert "must come once, before" in capsys.readouterr().err


def test_a_root_with_a_lock_file_shows_its_locked_aliased_providers(module: Path) -> None:
    (module / "main.tf").write_text(
        textwrap.dedent("""\
            provider "aws" {
              alias = "data"
            }

            data "aws_partition" "workload" {
              provider = aws.workload
            }
            """),
        encoding="utf-8",
    )
    (module / ".terraform.lock.hcl").write_text(
        textwrap.dedent("""\
            provider "registry.terraform.io/hashicorp/aws" {
              version     = "5.100.0"
              constraints = ">= 5.100.0, < 7.0.0"
            }
            """),
        encoding="utf-8",
    )
    providers = module_docs.read_root(module).providers
    assert providers == [
        module_docs.Versioned("aws.data", "5.100.0"),
        module_docs.Versioned("aws.workload", "5.100.0"),
    ]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_check_regenerates_then_fails_on_a_stale_readme(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(module, "init", "-q")
    git(module, "add", "README.md")
    assert module_docs.main(["--check", str(module)]) == 1
    assert "tables out of date" in capsys.readouterr().err
    assert EXPECTED_TABLES in readme(module)
    git(module, "add", "README.md")
    assert module_docs.main(["--check", str(module)]) == 0


def test_the_default_roots_are_the_stack_the_bootstrap_and_every_module() -> None:
    infra = module_docs.REPO / "infra"
    modules = {path.parent for path in (infra / "modules").glob("*/versions.tf")}
    assert set(module_docs.default_roots()) == {infra / "stack", infra / "bootstrap", *modules}


def test_prose_is_escaped_outside_code_spans_and_urls(module: Path) -> None:
    (module / "outputs.tf").write_text(
        'output "url" {\n  description = "See https://example.com/a_b: a_b for <env>, `c_d`."\n'
        "  value       = 1\n}\n",
        encoding="utf-8",
    )
    module_docs.main([str(module)])
    assert "| See https://example.com/a_b: a\\_b for &lt;env>, `c_d`. |" in readme(module)


RESOURCES_TF = """\
module "names" {
  source = "../_names"
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"
}

data "aws_partition" "workload" {
  provider = aws.workload
}

resource "aws_s3_bucket" "this" {}

resource "aws_kms_key" "this" {
  count = 1
}

resource "terraform_data" "marker" {}

resource "acme_thing" "pinned" {}

resource "internal_thing" "private" {}
"""

PINNED_TF = """\
terraform {
  required_providers {
    aws      = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }
    acme     = { source = "acme/acme", version = "1.2.3" }
    internal = { source = "registry.example.com/team/internal" }
  }
}
"""


def test_resources_and_modules_as_terraform_docs_lists_and_links_them(module: Path) -> None:
    (module / "main.tf").write_text(RESOURCES_TF, encoding="utf-8")
    (module / "versions.tf").write_text(PINNED_TF, encoding="utf-8")
    root = module_docs.read_root(module)
    assert root.modules == [
        module_docs.ModuleCall("names", "../_names", None),
        module_docs.ModuleCall("vpc", "terraform-aws-modules/vpc/aws", "~> 5.0"),
    ]
    registry = "https://registry.terraform.io/providers"
    # Managed resources first, then data sources, each by address; the link's version is
    # `latest` unless the constraint pins one; a provider outside the public registry gets no link.
    assert root.resources == [
        module_docs.Resource(
            "acme_thing.pinned", False, f"{registry}/acme/acme/1.2.3/docs/resources/thing"
        ),
        module_docs.Resource(
            "aws_kms_key.this", False, f"{registry}/hashicorp/aws/latest/docs/resources/kms_key"
        ),
        module_docs.Resource(
            "aws_s3_bucket.this", False, f"{registry}/hashicorp/aws/latest/docs/resources/s3_bucket"
        ),
        module_docs.Resource("internal_thing.private", False, None),
        module_docs.Resource(
            "terraform_data.marker",
            False,
            f"{registry}/hashicorp/terraform/latest/docs/resources/data",
        ),
        module_docs.Resource(
            "aws_partition.workload",
            True,
            f"{registry}/hashicorp/aws/latest/docs/data-sources/partition",
        ),
    ]
    module_docs.main([str(module)])
    text = readme(module)
    assert (
        "## Modules\n\n| Name | Source | Version |\n|------|--------|---------|\n"
        '| <a name="module_names"></a> [names](#module\\_names) | ../_names | n/a |\n'
        '| <a name="module_vpc"></a> [vpc](#module\\_vpc) | terraform-aws-modules/vpc/aws | ~> 5.0 |\n'
    ) in text
    assert "| internal_thing.private | resource |" in text
    assert (
        f"| [aws_partition.workload]({registry}/hashicorp/aws/latest/docs/data-sources/partition) "
        "| data source |\n\n## Inputs"
    ) in text


@pytest.mark.parametrize(
    ("constraint", "version"),
    [
        (None, "latest"),
        (">= 5.100, < 7.0", "latest"),
        ("~> 5.0", "latest"),
        (">= 3.6", "latest"),
        ("5.1.0", "5.1.0"),
        ("=5.1.0", "5.1.0"),
        ("= 5.1.0", "5.1.0"),
    ],
)
def test_the_link_names_a_version_only_when_the_constraint_pins_one(
    constraint: str | None, version: str
) -> None:
    assert module_docs._registry_version(constraint) == version
