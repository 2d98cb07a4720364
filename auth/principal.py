"""Resolving a bearer token to the calling user: the single validator of every API."""
import dataclasses

from models.errors import Unauthenticated
from models.members import roles_of
from models.tables import UserState
from models.tokens import find_pat


@dataclasses.dataclass
class Principal:
    user_id: str
    org_id: str
    roles: dict
    token_kind: str
    user: object = None

    @property
    def editor_id(self):
        return self.user_id


def parse_authorization(header):
    """The token from an Authorization header; raises Unauthenticated with ZITADEL's texts."""
    if not header:
        raise Unauthenticated("auth header missing", "", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("invalid auth header", "AUTH-toLo1", "Errors.Token.Invalid")
    return token


def authenticate(header):
    token = parse_authorization(header)
    pat = find_pat(token)
    if pat is None:
        raise Unauthenticated("Errors.Token.Invalid", "AUTH-7fs1e", "Errors.Token.Invalid")
    user = pat.user
    # Deactivated and locked users cannot use their credentials (reference §6.3).
    if user.state not in (UserState.ACTIVE, UserState.INITIAL):
        raise Unauthenticated("Errors.Token.Invalid", "AUTH-7fs1e", "Errors.Token.Invalid")
    return Principal(user_id=user.id, org_id=user.org_id, roles=roles_of(user.id), token_kind="pat", user=user)
