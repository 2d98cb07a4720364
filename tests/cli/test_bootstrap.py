"""The bootstrap administrator: ADMIN_TOKEN across restarts, and `flask create-admin-token`."""
import uuid

import pytest
from cryptography.fernet import Fernet

from app import create_app
from auth.bootstrap import ADMIN_USERNAME
from config import Settings
from models.db import db
from models.tables import PersonalAccessToken, User
from tests.support.databases import drop_database, fresh_database_url


@pytest.fixture
def restarts(app):
    """start(admin_token) builds the gateway anew on one fresh database, as a restart would.

    create_app points the one database handle at the new database; the session app's is
    put back afterwards.
    """
    session_database = db.obj
    url = fresh_database_url("bootstrap")

    def start(admin_token):
        if not db.is_closed():
            db.close()
        application = create_app(Settings(database_url=url, admin_token=admin_token,
                                          mfa_encryption_key=Fernet.generate_key().decode("ascii")))
        application.config["TESTING"] = True
        return application.test_client()

    yield start
    if not db.is_closed():
        db.close()
    db.initialize(session_database)
    drop_database(url)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def status_with(client, token):
    """What a call that needs a role in the default organisation answers with token."""
    return client.get("/scim/v2/Users", headers=bearer(token)).status_code


def admins():
    with db.connection_context():
        users = list(User.select().where(User.username_key == ADMIN_USERNAME))
        tokens = PersonalAccessToken.select().where(PersonalAccessToken.user.in_([u.id for u in users])).count()
    return len(users), tokens


def test_admin_token_is_idempotent_across_restarts_and_a_new_value_replaces_the_old(restarts):
    first, second = "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    client = restarts(first)
    assert status_with(client, first) == 200
    client = restarts(first)
    assert admins() == (1, 1)
    assert status_with(client, first) == 200
    client = restarts(second)
    assert admins() == (1, 1)
    assert status_with(client, first) == 401
    assert status_with(client, second) == 200


def test_without_admin_token_no_administrator_is_created(restarts):
    restarts(None)
    assert admins() == (0, 0)


def test_create_admin_token_prints_a_token_once_that_works_as_bearer(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin-token"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and len(lines[0]) >= 32 and " " not in lines[0]
    token = lines[0]
    assert status_with(client, token) == 200
    # shown once: only its hash is kept
    with db.connection_context():
        assert not PersonalAccessToken.select().where(PersonalAccessToken.token_hash == token).exists()
    again = app.test_cli_runner().invoke(args=["create-admin-token"]).output.strip()
    assert again != token
    assert status_with(client, again) == 200 and status_with(client, token) == 200


def test_create_admin_token_on_a_fresh_database_creates_the_administrator(restarts):
    client = restarts(None)
    application = client.application
    token = application.test_cli_runner().invoke(args=["create-admin-token"]).output.strip()
    assert admins() == (1, 1)
    assert status_with(client, token) == 200
    assert status_with(client, "not-" + token) == 401
