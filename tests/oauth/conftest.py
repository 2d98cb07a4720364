"""Fixtures of the token service tests: a machine user of a fresh org holding ORG_OWNER, and clean rate limits."""
import pytest

from oauth import limiter
from tests.management.mgmt_helpers import MgmtClient
from tests.oauth.oauth_helpers import Machine


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    # Every test starts with empty counters (they live in the one test app's memory).
    limiter.reset()


@pytest.fixture
def mgmt(client, tenant):
    return MgmtClient(client, tenant)


@pytest.fixture
def machine(client, mgmt):
    return Machine.create(client, mgmt)
