"""`make bench`'s dataset comparison as it prints it (bench/bench_datasets.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_datasets.py"


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_datasets", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_comparison_puts_both_runs_side_by_side_with_the_ratio() -> None:
    module = bench()
    create = module.Measured(files=1000, seconds=200.0, command_seconds=201.5)
    dataset = module.Measured(files=1000, seconds=25.0, command_seconds=26.9)

    lines = module.comparison(create, dataset, 65536, 3.0)

    assert lines == [
        "| run | files | wall time s | command's wall time s | files/s | MB/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| randfile create --count --parallel 8 | 1000 | 200.0 | 201.5 | 5.0 | 0.33 |",
        "| randfile dataset create | 1000 | 25.0 | 26.9 | 40.0 | 2.62 |",
        "",
        "dataset / create: 8.0x faster   target >= 3x: met",
    ]


def test_a_ratio_under_the_target_is_not_met() -> None:
    module = bench()
    create = module.Measured(files=1000, seconds=100.0, command_seconds=100.0)
    dataset = module.Measured(files=1000, seconds=40.0, command_seconds=41.0)

    assert module.comparison(create, dataset, 65536, 3.0)[-1] == (
        "dataset / create: 2.5x faster   target >= 3x: NOT MET"
    )
