"""pytest (nbval) hooks for the chapters: time each chapter and hold it to the quick-mode budget.

Every chapter must run in quick mode in at most QUICK_BUDGET_S seconds on 2 CPU cores; `make test`
prints each chapter's time and fails when one is over.
"""

import time
from collections import defaultdict

import pytest

QUICK_BUDGET_S = 90.0
_seconds: dict[str, float] = defaultdict(float)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    yield
    _seconds[item.path.name] += time.perf_counter() - start


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    terminalreporter.section("chapter times (quick mode)")
    for name, seconds in sorted(_seconds.items()):
        flag = "  OVER BUDGET" if seconds > QUICK_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:6.1f} s  {name}{flag}")


def pytest_sessionfinish(session, exitstatus):
    over = {name: s for name, s in _seconds.items() if s > QUICK_BUDGET_S}
    if over and session.exitstatus == 0:
        session.exitstatus = 1
        print(f"\nChapters over the {QUICK_BUDGET_S:.0f} s quick-mode budget: {over}")
