import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

# CI runs the same examples every time, so a red build can be reproduced locally.
settings.register_profile("ci", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def no_setup_allowance(monkeypatch):
    """A child's CPU allowance is its checks' time limits alone, without the seconds it is
    given for what is no check (``pgsym._isolation.SETUP_SECONDS``): a test of a check that
    must be stopped sees it stopped by the same means, two seconds sooner."""
    from pgsym import _isolation

    monkeypatch.setattr(_isolation, "SETUP_SECONDS", 0.0)


#: The tests that import JAX and PyTorch, and those that import Numba (and Matplotlib): each
#: kind runs on one worker, after every other test. A worker that has imported them forks two
#: to four times slower (copying their memory's page tables: a fork and exit took 5 ms in a
#: process holding pgsym, 8 ms with Numba's kernels loaded, 18 ms with JAX and PyTorch too),
#: and the verifier forks a child for every derivation it checks, the adversarial tests one
#: more: tests/test_adversarial.py alone took 53 s on 2 workers that had not imported them and
#: 68 s on 2 that had. Last, one group to each worker, no fork after them pays for them.
HEAVY_JAX_TORCH = "imports JAX and PyTorch"
HEAVY_NUMBA = "imports Numba"
_LAST = (HEAVY_JAX_TORCH, HEAVY_NUMBA)


def _group(item: pytest.Item) -> str | None:
    marks = [mark.args[0] if mark.args else mark.kwargs.get("name", "default")
             for mark in item.iter_markers("xdist_group")]
    return "_".join(sorted(set(marks))) or None


def pytest_collection_modifyitems(config, items):
    """The order pytest-xdist hands the tests out in (``--no-loadscope-reorder`` in
    pyproject.toml keeps it): the groups run on one worker each, largest first, as
    ``--loadscope-reorder`` would have it; then the tests of no group, one at a time to
    whichever worker is free; then the two groups of :data:`_LAST`, one to each worker."""
    groups = [_group(item) for item in items]
    sizes = Counter(groups)

    def place(index: int) -> tuple:
        group = groups[index]
        if group in _LAST:
            return (2, _LAST.index(group), index)
        if group is None:
            return (1, 0, index)
        return (0, -sizes[group], index)

    items[:] = [items[index] for index in sorted(range(len(items)), key=place)]
