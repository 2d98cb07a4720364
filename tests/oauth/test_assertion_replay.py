"""One token per JWT-profile assertion: replays are refused with invalid_grant, also when they race."""
import datetime
import threading
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from models.assertion_replay import PURGE_AFTER, UsedAssertion
from models.credential_tables import AccessToken
from models.db import db
from models.tables import utcnow
from tests.oauth.oauth_helpers import TEST_ISSUER, Machine, assert_oauth_error, assertion

THREADS = 10


def without_jti(key_file, **extra):
    """An assertion with no jti claim, signed with the key file's private key (authlib always adds one)."""
    now = int(time.time())
    claims = {"iss": key_file["userId"], "sub": key_file["userId"], "aud": TEST_ISSUER, "iat": now,
              "exp": now + 600, **extra}
    return jwt.encode({"alg": "RS256", "kid": key_file["keyId"]}, claims, RSAKey.import_key(key_file["key"]),
                      algorithms=["RS256"])


def refused_as_replay(response):
    body = assert_oauth_error(response, 400, "invalid_grant")
    assert "already been used" in body["error_description"], body
    assert response.headers["Cache-Control"] == "no-store"


def tokens_of(user_id):
    with db.connection_context():
        return AccessToken.select().where(AccessToken.user == user_id).count()


@pytest.mark.parametrize("jwt_tokens", [False, True])
def test_the_same_assertion_twice_gets_one_token(machine, jwt_tokens):
    machine.set_token_type(jwt_tokens)
    signed = assertion(machine.new_key())
    machine.token(machine.jwt_profile(signed))
    refused_as_replay(machine.jwt_profile(signed))
    refused_as_replay(machine.jwt_profile(signed, scope="openid"))  # other form fields change nothing
    assert tokens_of(machine.user_id) == 1


def test_assertions_with_different_jti_each_get_a_token(machine):
    key_file = machine.new_key()
    first, second = assertion(key_file, jti="first"), assertion(key_file, jti="second")
    machine.token(machine.jwt_profile(first))
    machine.token(machine.jwt_profile(second))
    refused_as_replay(machine.jwt_profile(first))
    assert tokens_of(machine.user_id) == 2


def test_a_jti_is_one_use_per_issuer_only(client, machine, mgmt):
    """Another machine user cannot burn a jti by using it first."""
    other = Machine.create(client, mgmt)
    other.token(other.jwt_profile(assertion(other.new_key(), jti="shared")))
    signed = assertion(machine.new_key(), jti="shared")
    machine.token(machine.jwt_profile(signed))
    refused_as_replay(machine.jwt_profile(signed))


def test_an_assertion_without_jti_is_one_use_too(machine):
    key_file = machine.new_key()
    signed = without_jti(key_file)
    machine.token(machine.jwt_profile(signed))
    refused_as_replay(machine.jwt_profile(signed))
    # A different assertion without jti (other claims, so other bytes) is a new one.
    machine.token(machine.jwt_profile(without_jti(key_file, scope="other")))


def test_a_jti_that_is_not_a_string_is_refused(machine):
    key_file = machine.new_key()
    for jti in (42, "", ["a"]):
        body = assert_oauth_error(machine.jwt_profile(without_jti(key_file, jti=jti)), 400, "invalid_grant")
        assert "jti" in body["error_description"], body
    assert tokens_of(machine.user_id) == 0


def test_a_refused_assertion_is_not_used_up(machine, mgmt):
    """Only an accepted assertion is recorded: one refused for its key becomes usable once the key is valid."""
    key_file = machine.new_key()
    wrong_kid = assertion(key_file, jti="retry", header={"alg": "RS256", "kid": "404"})
    assert_oauth_error(machine.jwt_profile(wrong_kid), 400, "invalid_grant")
    machine.token(machine.jwt_profile(assertion(key_file, jti="retry")))


def test_a_long_jti_is_recorded_in_bounded_space(machine):
    signed = assertion(machine.new_key(), jti="j" * 5000)
    machine.token(machine.jwt_profile(signed))
    refused_as_replay(machine.jwt_profile(signed))


def test_concurrent_uses_of_one_assertion_get_exactly_one_token(app, machine):
    signed = assertion(machine.new_key())
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def present(index):
        own_client = app.test_client()
        barrier.wait()
        response = own_client.post("/oauth/v2/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                            "assertion": signed})
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=present, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [400] * (THREADS - 1), results
    assert all(body["error"] == "invalid_grant" for status, body in results if status == 400), results
    assert tokens_of(machine.user_id) == 1


def test_expired_rows_are_purged_on_insert(machine):
    long_gone = utcnow() - PURGE_AFTER - datetime.timedelta(minutes=1)
    recent = utcnow() - datetime.timedelta(minutes=1)
    with db.connection_context():
        UsedAssertion.insert_many([
            {"issuer": machine.user_id, "identity": "jti:old", "expires_at": long_gone},
            {"issuer": machine.user_id, "identity": "jti:recent", "expires_at": recent},
        ]).execute()
    machine.token(machine.jwt_profile(assertion(machine.new_key())))
    with db.connection_context():
        left = {row.identity for row in UsedAssertion.select().where(UsedAssertion.issuer == machine.user_id)}
    assert "jti:old" not in left and "jti:recent" in left and len(left) == 2


def test_the_record_expires_with_the_assertion(machine):
    """A row lives until exp, and no longer than iat + one hour (past that the assertion is refused anyway)."""
    key_file = machine.new_key()
    now = int(time.time())
    machine.token(machine.jwt_profile(assertion(key_file, jti="short", issued_at=now, expires_at=now + 120)))
    machine.token(machine.jwt_profile(assertion(key_file, jti="long", issued_at=now, expires_at=now + 86_400)))
    with db.connection_context():
        rows = {row.identity: row.expires_at for row in
                UsedAssertion.select().where(UsedAssertion.issuer == machine.user_id)}
    epoch = datetime.datetime(1970, 1, 1)
    assert (rows["jti:short"] - epoch).total_seconds() == now + 120
    assert (rows["jti:long"] - epoch).total_seconds() == now + 3600
