"""Fixtures of the management API tests."""
import pytest

from tests.conftest import make_tenant
from tests.management.mgmt_helpers import MgmtClient


@pytest.fixture
def mgmt(client, tenant):
    return MgmtClient(client, tenant)


@pytest.fixture
def other(client, other_tenant):
    return MgmtClient(client, other_tenant)


@pytest.fixture
def reader(client, tenant):
    """A token of the same org holding only ORG_OWNER_VIEWER (user.read, no writes)."""
    return MgmtClient(client, make_tenant(("ORG_OWNER_VIEWER",), scope=tenant.org_id), org_header=tenant.org_id)


@pytest.fixture
def roleless(client, tenant):
    """A token without any role."""
    return MgmtClient(client, make_tenant(()))
