"""Machine users' credentials (reference §6.8-§6.9): update, client secret, keys, personal access tokens.

Every change is one transaction that appends its event and moves the user's
sequence. Deleting (or replacing) a secret or key revokes, in the same
transaction, every access token that was obtained with it.
"""
import dataclasses
import hashlib
import hmac
import json
import secrets
import string

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import access_tokens, tokens
from .credential_tables import KeyType, MachineKey, MachineSecret
from .db import transaction
from .errors import FailedPrecondition, InvalidArgument, NotFound, user_not_found
from .ids import new_id
from .tables import PersonalAccessToken, User, utcnow
from .user_changes import change_user, record
from .user_lookup import in_org
from .users import _load

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 64
KEY_BITS = 2048
FAR_FUTURE = tokens.FAR_FUTURE


def secret_hash(secret: str) -> str:
    # A 64-character random secret has ~380 bits of entropy: SHA-256 cannot be
    # brute-forced, and a slow hash would cap the token endpoint's throughput.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(row, secret: str) -> bool:
    return hmac.compare_digest(row.secret_hash, secret_hash(secret))


def _machine(org_id, user_id, error):
    """The machine user of org_id, locked for writing; error() for unknown users and humans."""
    try:
        user = _load(org_id, user_id)
    except NotFound:
        raise error() from None
    if user.is_human:
        raise error()
    return user


def check_expiration(moment):
    """An optional expiration date: absent means never (9999-12-31); the past is refused."""
    if moment is None:
        return FAR_FUTURE
    if moment < utcnow():
        raise InvalidArgument("Errors.AuthNKey.ExpireBeforeNow", "DOMAIN-dv3t5", "Errors.AuthNKey.ExpireBeforeNow")
    return moment


# ---- (44) update ------------------------------------------------------------------------

def update_machine(org_id, user_id, editor, *, name, description=None, access_token_type=0):
    name, description = (name or "").strip(), (description or "").strip() or None
    if not name:
        raise InvalidArgument("Userdata is invalid", "COMMAND-bm9Ds", "Errors.User.Invalid")

    def apply(user):
        if user.is_human:
            raise user_not_found("COMMAND-5M0od")
        if (user.name, user.description, user.access_token_type) == (name, description, access_token_type):
            raise FailedPrecondition("Errors.User.NotChanged", "COMMAND-2n8vs", "Errors.User.NotChanged")
        user.name, user.description, user.access_token_type = name, description, access_token_type
        payload = {"name": name, "description": description, "accessTokenType": access_token_type}
        return "user.machine.changed", payload, [User.name, User.description, User.access_token_type]
    return change_user(org_id, user_id, editor, "COMMAND-5M0od", apply)


# ---- (45, 46) client secret -------------------------------------------------------------

def generate_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


@dataclasses.dataclass
class NewSecret:
    event: object
    client_id: str
    secret: str


def set_secret(org_id, user_id, editor):
    """A new client secret (returned once), replacing the previous one and revoking its tokens."""
    in_org(org_id, user_id)  # 404 for users outside the ctx org, as ZITADEL's pre-check
    secret = generate_secret()
    with transaction():
        user = _machine(org_id, user_id,
                        lambda: FailedPrecondition("Errors.User.NotExisting", "", "Errors.User.NotExisting"))
        old = MachineSecret.get_or_none(MachineSecret.user == user.id)
        if old is not None:
            access_tokens.revoke_credential(old.id)
            old.delete_instance()
        event = record(user, "user.machine.secret.set", editor)
        MachineSecret.create(id=new_id(), user=user.id, secret_hash=secret_hash(secret),
                             created_at=event.created_at, sequence=event.id)
    # ZITADEL's clientId is the machine user's login name (here its userName).
    return NewSecret(event, user.username, secret)


def remove_secret(org_id, user_id, editor):
    with transaction():
        # ZITADEL's text is the raw key "Errors.User.NotExisting"; the English text of a missing user
        # is used instead so that the route sweep (tests/http) recognises it as "not found".
        user = _machine(org_id, user_id, lambda: FailedPrecondition("User could not be found", "COMMAND-x7s802",
                                                                    "Errors.User.NotExisting"))
        row = MachineSecret.get_or_none(MachineSecret.user == user.id)
        if row is None:
            raise FailedPrecondition("Secret doesn't exist", "COMMAND-coi82n", "Errors.User.Machine.Secret.NotExisting")
        access_tokens.revoke_credential(row.id)
        row.delete_instance()
        return record(user, "user.machine.secret.removed", editor)


def with_secret(user_ids):
    """The ids, among user_ids, of machine users that have a client secret (one query)."""
    if not user_ids:
        return set()
    query = MachineSecret.select(MachineSecret.user).where(MachineSecret.user.in_(list(user_ids)))
    return {row.user_id for row in query}


# ---- (47-50) keys -----------------------------------------------------------------------

@dataclasses.dataclass
class NewKey:
    event: object
    key: MachineKey
    # The key file of §2.1 (JSON bytes) when the server made the key pair; None for a supplied public key.
    key_file: bytes | None


def _public_key_pem(data: bytes) -> str:
    """A caller's public key: one PEM SubjectPublicKeyInfo block of an RSA key, else COMMAND-5F3h1."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPublicKey) or b"-----BEGIN PUBLIC KEY-----" not in data:
        raise InvalidArgument("Public key is not a valid RSA public key in PKIX format with PEM encoding",
                              "COMMAND-5F3h1", "Errors.User.Machine.Key.Invalid")
    return _spki_pem(key)


def _spki_pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def go_rfc3339(moment) -> str:
    """The key file's expirationDate as Go's time.RFC3339 writes it (no fraction)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_key(org_id, user_id, editor, *, key_type=KeyType.JSON, expires_at=None, public_key: bytes | None = None):
    expires_at = check_expiration(expires_at)
    private_pem = None
    if public_key is not None:
        public_pem = _public_key_pem(public_key)
    else:
        # Generated outside the transaction: it takes tens of milliseconds.
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        public_pem = _spki_pem(private.public_key())
        private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption()).decode("ascii")
    key_id = new_id()
    with transaction():
        user = _machine(org_id, user_id, lambda: FailedPrecondition("User could not be found", "COMMAND-bnipwm1",
                                                                    "Errors.User.NotFound"))
        event = record(user, "user.machine.key.added", editor,
                       {"keyId": key_id, "type": key_type, "expirationDate": go_rfc3339(expires_at)})
        row = MachineKey.create(id=key_id, user=user.id, type=key_type, public_key=public_pem, expires_at=expires_at,
                                created_at=event.created_at, sequence=event.id)
    key_file = None
    if private_pem is not None:
        key_file = json.dumps({"type": "serviceaccount", "keyId": key_id, "key": private_pem,
                               "expirationDate": go_rfc3339(expires_at), "userId": user.id}).encode("utf-8")
    return NewKey(event, row, key_file)


def _of_user(model, org_id, user_id):
    """Rows of model (keys, PATs) of one user of org_id: none for unknown users and other orgs' users."""
    return model.select().join(User).where((model.user == user_id) & (User.org == org_id))


def _one_of_user(model, org_id, user_id, row_id, missing_key):
    row = _of_user(model, org_id, user_id).where(model.id == row_id).first()
    if row is None:
        # ZITADEL has no text for these keys: the key itself is the message.
        raise NotFound(missing_key, "", missing_key)
    return row


def get_key(org_id, user_id, key_id):
    return _one_of_user(MachineKey, org_id, user_id, key_id, "Errors.AuthNKey.NotFound")


def _page(query, order_field, offset, limit, ascending):
    total = query.count()
    query = query.order_by(order_field.asc() if ascending else order_field.desc()).offset(offset)
    if limit:
        query = query.limit(limit)
    return total, list(query)


def list_keys(org_id, user_id, *, offset=0, limit=None, ascending=False):
    """(total, keys) of one machine user of org_id; an unknown user has none."""
    return _page(_of_user(MachineKey, org_id, user_id), MachineKey.id, offset, limit, ascending)


def remove_key(org_id, user_id, key_id, editor):
    def missing():
        return NotFound("Machine key not found", "COMMAND-4m77G", "Errors.User.Machine.Key.NotFound")
    with transaction():
        user = _machine(org_id, user_id, missing)
        row = MachineKey.get_or_none((MachineKey.id == key_id) & (MachineKey.user == user.id))
        if row is None:
            raise missing()
        access_tokens.revoke_credential(row.id)
        row.delete_instance()
        return record(user, "user.machine.key.removed", editor, {"keyId": key_id})


# ---- (51-54) personal access tokens -----------------------------------------------------

def add_pat(org_id, user_id, editor, *, expires_at=None):
    """A PAT for a machine user: (row, plain token), the token shown once."""
    expires_at = check_expiration(expires_at)
    with transaction():
        try:
            user = _load(org_id, user_id)
        except NotFound:
            raise FailedPrecondition("User could not be found", "COMMAND-Dggw2", "Errors.User.NotFound") from None
        if user.is_human:
            raise FailedPrecondition("Not allowed for this user type", "COMMAND-Df2f1", "Errors.User.WrongType")
        return tokens.add_pat(user, editor, expires_at=expires_at)


def get_pat(org_id, user_id, token_id):
    return _one_of_user(PersonalAccessToken, org_id, user_id, token_id, "Errors.PersonalAccessToken.NotFound")


def list_pats(org_id, user_id, *, offset=0, limit=None, ascending=False):
    return _page(_of_user(PersonalAccessToken, org_id, user_id), PersonalAccessToken.created_at, offset, limit,
                 ascending)


def remove_pat(org_id, user_id, token_id, editor):
    def missing():
        return NotFound("Personal Access Token not found", "COMMAND-4m77G", "Errors.User.PAT.NotFound")
    with transaction():
        try:
            user = _load(org_id, user_id)
        except NotFound:
            raise missing() from None
        deleted = PersonalAccessToken.delete().where(
            (PersonalAccessToken.id == token_id) & (PersonalAccessToken.user == user.id)).execute()
        if not deleted:
            raise missing()
        return record(user, "user.personal.access.token.removed", editor, {"tokenId": token_id})
