"""Administrator memberships: which roles a user holds instance-wide or in an org."""
from . import events
from .db import PreparedQuery, transaction
from .tables import Member

IAM_SCOPE = "iam"


def grant(user, scope, roles, editor, *, event_type=None):
    """Set the roles of user in scope (IAM_SCOPE or an org id), replacing earlier ones.

    event_type names the change (default `<instance|org>.member.added`).
    """
    roles = " ".join(sorted(set(roles)))
    with transaction():
        kind = "instance" if scope == IAM_SCOPE else "org"
        payload = {"userId": user.id, "roles": roles}
        event = events.append(kind, scope, user.org_id, event_type or f"{kind}.member.added", editor, payload)
        member = Member.get_or_none((Member.user == user.id) & (Member.scope == scope))
        if member is None:
            member = Member.create(user=user.id, scope=scope, roles=roles, created_at=event.created_at,
                                   changed_at=event.created_at, sequence=event.id)
        else:
            member.roles, member.changed_at, member.sequence = roles, event.created_at, event.id
            member.save()
        return member


_ROLES = PreparedQuery(lambda user_id: Member.select().where(Member.user == user_id))


def roles_of(user_id):
    """{scope: [roles]} for one user."""
    return {m.scope: m.role_list for m in _ROLES.rows(user_id)}
