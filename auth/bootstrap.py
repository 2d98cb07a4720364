"""The bootstrap administrator: a machine user with IAM_OWNER and one PAT.

ADMIN_TOKEN makes its value that PAT (idempotent across restarts; a changed
value replaces the old one). Without ADMIN_TOKEN an operator creates a token
with `flask --app app create-admin-token`.
"""
from models import members, tokens
from models.machines import create_machine
from models.tables import PersonalAccessToken, User

ADMIN_USERNAME = "gateway-admin"
BOOTSTRAP_PAT_ID = "bootstrap-admin-token"


def admin_user(org):
    user = User.get_or_none((User.org == org.id) & (User.username_key == ADMIN_USERNAME))
    if user is None:
        user = create_machine(org.id, ADMIN_USERNAME, "Gateway administrator", editor=None,
                              description="Created on first start; holds IAM_OWNER")
        members.grant(user, members.IAM_SCOPE, ["IAM_OWNER"], editor=None)
    return user


def ensure_admin_token(org, token):
    user = admin_user(org)
    row = PersonalAccessToken.get_or_none(PersonalAccessToken.id == BOOTSTRAP_PAT_ID)
    if row is None:
        tokens.add_pat(user, editor=None, token=token, pat_id=BOOTSTRAP_PAT_ID)
    elif row.token_hash != tokens.token_hash(token):
        tokens.replace_pat_token(row, token, editor=None)


def new_admin_token(org):
    """Create and return a fresh admin PAT (shown once)."""
    _, token = tokens.add_pat(admin_user(org), editor=None)
    return token
