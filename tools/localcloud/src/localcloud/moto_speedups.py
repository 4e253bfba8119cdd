"""Where moto spends the emulator's CPU on work whose answer cannot change while it runs.

Unlike localcloud.compat, nothing here changes an answer: each patch only stops moto from doing
the same work again. Applied inside the emulator process only, before it serves.
"""

from __future__ import annotations

from collections.abc import Iterable

from moto import backends


def _moto_modules_listed_once() -> None:
    """moto's server asks `host in backends.list_of_moto_modules()` for every request it
    dispatches (moto 5.2.5, moto/moto_server/werkzeug_app.py, get_backend_for_host): a listing of
    moto's package folder and a stat of each of its ~200 entries. The installed package does not
    change while the emulator runs, so it is listed once; a profile of the jobs' end-to-end tests
    put the listing at about 4 % of the emulator's CPU."""
    modules = tuple(backends.list_of_moto_modules())

    def listed() -> Iterable[str]:
        return modules

    backends.list_of_moto_modules = listed


def apply() -> None:
    """Apply every patch; the emulator process calls this once, before serving."""
    _moto_modules_listed_once()
