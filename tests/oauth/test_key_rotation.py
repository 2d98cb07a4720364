"""JWT signing key rotation (auth/signing.py, models/signing_keys.py) on a clock the test moves.

Only the key clock moves (when a process rotates, when a published key expires, when its row is
deleted): the tokens' own iat/exp and their checks keep real time, so a token of a key that has
left the JWKS is refused for that reason alone.
"""
import datetime
import time

import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from auth import signing
from models import signing_keys
from models.credential_tables import SigningKey
from models.db import db
from tests.oauth.oauth_helpers import bearer

ROTATION = 60
SCIM_USERS = "/scim/v2/Users"


class KeyClock:
    """Real time plus an offset, for signing's time.time() and signing_keys' utcnow()."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset

    def utcnow(self):
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(seconds=self.offset)


@pytest.fixture
def clock(app, monkeypatch):
    clock = KeyClock()
    monkeypatch.setattr(signing, "time", clock)
    monkeypatch.setattr(signing_keys, "utcnow", clock.utcnow)
    # A fresh process: no current key and no cached ones. The session's own come back afterwards,
    # with their rows, which no cleanup below reaches (they expire hours from now).
    monkeypatch.setattr(signing, "_current", None)
    monkeypatch.setattr(signing, "_public", {})
    monkeypatch.setattr(app.config["SETTINGS"], "signing_key_rotation", ROTATION)
    return clock


@pytest.fixture
def jwt_machine(machine):
    machine.set_token_type(jwt=True)
    machine.new_secret()
    return machine


def kid(token):
    return jws.extract_compact(token.encode("ascii")).headers()["kid"]


def published_kids(client):
    return {key["kid"] for key in client.get("/oauth/v2/keys").get_json()["keys"]}


def scim_status(client, token):
    return client.get(SCIM_USERS, headers=bearer(token)).status_code


def stored(kid_):
    with db.connection_context():
        return SigningKey.select().where(SigningKey.kid == kid_).exists()


def test_tokens_of_two_rotation_periods_have_published_kids_and_both_work(client, jwt_machine, clock):
    first = jwt_machine.token(jwt_machine.client_credentials())
    assert kid(jwt_machine.token(jwt_machine.client_credentials())) == kid(first)
    clock.offset = ROTATION + 1
    second = jwt_machine.token(jwt_machine.client_credentials())
    assert kid(second) != kid(first)
    jwks = client.get("/oauth/v2/keys").get_json()
    assert {kid(first), kid(second)} <= {key["kid"] for key in jwks["keys"]}
    for token in (first, second):
        # What a relying party does offline with the JWKS.
        assert jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims["sub"] == jwt_machine.user_id
    # A process that cached neither key verifies both through the published rows.
    signing._public.clear()
    assert scim_status(client, first) == 200
    assert scim_status(client, second) == 200


def test_a_key_leaves_the_jwks_after_its_last_token_and_the_table_after_keep_expired(app, client, jwt_machine,
                                                                                       clock):
    first = jwt_machine.token(jwt_machine.client_credentials())
    # The last token a key signs is signed just before its rotation and lives a token lifetime.
    first_expiry = ROTATION + app.config["SETTINGS"].jwt_access_token_lifetime + signing.LEEWAY
    clock.offset = ROTATION + 1
    second = jwt_machine.token(jwt_machine.client_credentials())

    clock.offset = first_expiry - 30
    assert {kid(first), kid(second)} <= published_kids(client)
    clock.offset = first_expiry + 1
    kids = published_kids(client)
    assert kid(first) not in kids and kid(second) in kids
    assert scim_status(client, first) == 401
    assert scim_status(client, second) == 200

    keep = signing_keys.KEEP_EXPIRED.total_seconds()
    # Each publication (a rotation) deletes the rows expired more than KEEP_EXPIRED ago, and only those.
    clock.offset = first_expiry + keep - ROTATION
    third = jwt_machine.token(jwt_machine.client_credentials())
    assert kid(third) not in (kid(first), kid(second))
    assert stored(kid(first)) and stored(kid(second))
    assert kid(first) not in published_kids(client)
    clock.offset = first_expiry + keep + 10
    jwt_machine.token(jwt_machine.client_credentials())
    assert not stored(kid(first))
    assert stored(kid(second))  # expired 61 s after the first: still within its keep period
