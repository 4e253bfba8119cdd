"""Benchmark: the handler's import time (its share of a cold start) with and without Powertools.

Run with `make bench-import` after `make build`. Both packages are measured in the same run, on the
Lambda runtime's Python (localcloud.interpreters), in fresh interpreter processes taking turns:

- with: dist/randfile.zip, the package with the bundled Powertools Metrics (randfile.metrics);
- without: the same build of BASELINE, the last commit before the function used Powertools.

Each process imports `randfile.handler` from the unpacked zip, with the venv's boto3 standing in for
the runtime's (as the local cloud runs it), and reports the import's wall time; the figures are the
best and the median of the rounds. docs/performance.md records them and the decision they support.

The Lambda runtime has boto3 but not awscrt, and botocore imports awscrt whenever it can: so the
stand-in for the runtime's libraries is the venv's site-packages without awscrt (the zip brings its
own, whose arm64 build runs as this machine's, as on the local cloud: localcloud.native).
`--against ZIP` measures another package instead of the baseline (such as the zip of the commit
before awscrt was bundled).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess  # nosec B404
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools" / "localcloud" / "src"), str(REPO)]

from localcloud import interpreters, native  # noqa: E402
from scripts.build_zip import build  # noqa: E402

BASELINE = "c0f1f89fdee2c8eb1ae40884fa68ab89c8391e69"
RUNTIME_FILE = REPO / "infra" / "modules" / "function" / "python-version"
MEASURE = (
    "import sys, time\n"
    "sys.path[:0] = sys.argv[1:]\n"
    "started = time.perf_counter()\n"
    "import randfile.handler\n"
    "print(time.perf_counter() - started)\n"
)


def baseline_zip(scratch: Path) -> Path:
    archive = scratch / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(  # nosec B603 B607
            ["git", "-C", str(REPO), "archive", BASELINE, "src"], stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(scratch / "baseline", filter="data")
    zip_path = scratch / "baseline.zip"
    build(scratch / "baseline" / "src", zip_path)
    return zip_path


VENV_LIBRARIES = list(dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib")))
NOT_IN_THE_RUNTIME = ("awscrt", "_awscrt")


def unpack(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as package:
        package.extractall(folder)  # noqa: S202  # our own build, not untrusted input
    native.substitute_foreign_extensions(folder, VENV_LIBRARIES)
    return folder


def runtime_libraries(folder: Path) -> list[str]:
    """The venv's libraries as the Lambda runtime has them: every entry linked, awscrt left out."""
    folder.mkdir()
    for library in map(Path, VENV_LIBRARIES):
        for entry in library.iterdir():
            if not entry.name.startswith(NOT_IN_THE_RUNTIME) and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return [str(folder)]


def import_seconds(python: str, task_root: Path, libraries: list[str]) -> float:
    output = subprocess.run(  # nosec B603
        [python, "-S", "-E", "-s", "-c", MEASURE, str(task_root), *libraries],
        capture_output=True,
        text=True,
        check=True,
        cwd=task_root,
    ).stdout
    return float(output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zip", type=Path, default=REPO / "dist" / "randfile.zip")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--against", type=Path, help="another zip to compare with the baseline's")
    args = parser.parse_args()
    runtime = f"python{RUNTIME_FILE.read_text().strip()}"
    interpreter = interpreters.for_runtime(runtime)
    print(interpreter.describe(runtime))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch_name:
        scratch = Path(scratch_name)
        libraries = runtime_libraries(scratch / "runtime")
        if args.against is None:
            other = (f"without (baseline {BASELINE[:7]})", baseline_zip(scratch))
        else:
            other = (f"against {args.against.name}", args.against)
        roots = {
            f"this zip ({args.zip.stat().st_size / 1e6:.2f} MB)": unpack(
                args.zip, scratch / "this"
            ),
            other[0]: unpack(other[1], scratch / "other"),
        }
        times: dict[str, list[float]] = {name: [] for name in roots}
        for _ in range(args.rounds):
            for name, root in roots.items():
                times[name].append(import_seconds(interpreter.executable, root, libraries))
    print(f"import randfile.handler, {args.rounds} fresh processes each, taking turns:")
    for name, samples in times.items():
        print(
            f"  {name:32} best {min(samples) * 1000:6.1f} ms"
            f"   median {statistics.median(samples) * 1000:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
