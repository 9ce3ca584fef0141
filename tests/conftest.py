import os

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
