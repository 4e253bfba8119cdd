"""The monitoring module charts and alarms on the names the function really writes.

`terraform test` (infra/modules/monitoring/tests) checks the dashboard against the module's lists;
this checks those lists, and the metric names, against src/randfile.
"""

from __future__ import annotations

import re
from pathlib import Path

from randfile import errors, metrics
from randfile.content import Format

MODULE = Path(__file__).resolve().parents[2] / "infra" / "modules" / "monitoring"
# The module is split by concern (main.tf, alarms.tf, dashboard.tf, ...): read all of it.
MAIN = "\n".join(path.read_text(encoding="utf-8") for path in sorted(MODULE.glob("*.tf")))


def hcl_list(name: str) -> set[str]:
    match = re.search(rf"^\s*{name}\s*=\s*\[(.*?)\]", MAIN, re.MULTILINE | re.DOTALL)
    assert match, f"no local {name} in {MODULE}"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def service_error_codes() -> set[str]:
    found = {errors.ServiceError.code}
    pending = list(errors.ServiceError.__subclasses__())
    while pending:
        error = pending.pop()
        found.add(error.code)
        pending.extend(error.__subclasses__())
    return found


def test_the_dashboard_lists_every_format() -> None:
    assert hcl_list("file_formats") == {fmt.value for fmt in Format}


def test_the_dashboard_lists_every_error_code() -> None:
    assert hcl_list("error_codes") == service_error_codes()


def test_the_module_uses_the_metric_names_and_namespace_of_the_code() -> None:
    written = {
        metrics.FILES_WRITTEN,
        metrics.BYTES_WRITTEN,
        metrics.GENERATION_TIME,
        metrics.UPLOAD_TIME,
        metrics.FAILURES,
        metrics.JOBS_FAILED,
        metrics.JOBS_ABANDONED,
        metrics.DATASETS_FAILED,
    }
    assert written <= set(re.findall(r'"([A-Za-z]+)"', MAIN))
    variables = (MODULE / "variables.tf").read_text(encoding="utf-8")
    namespace = re.search(
        r'variable "metrics_namespace" \{.*?default\s*=\s*"([^"]+)"', variables, re.DOTALL
    )
    assert namespace
    assert namespace.group(1) == metrics.NAMESPACE
