"""Social logins of humans: links to identities at external identity providers (reference §6.10)."""
from . import events
from .db import transaction
from .errors import NotFound
from .mgmt_tables import IdpLink
from .tables import User
from .user_changes import finish, load_human


def list_links(org_id, user_id, *, offset=0, limit=None):
    """(total, links) of a user of org_id (none for an unknown user), oldest first."""
    query = IdpLink.select().join(User).where((User.id == user_id) & (User.org == org_id))
    total = query.count()
    page = query.order_by(IdpLink.created_at, IdpLink.id).offset(offset or None)
    if limit:
        page = page.limit(limit)
    return total, list(page)


def remove_link(org_id, user_id, idp_id, provided_user_id, editor):
    """RemoveHumanLinkedIDP; an unknown user or link is ZITADEL's COMMAND-1M9xR."""
    def missing():
        return NotFound("External IDP not found", "COMMAND-1M9xR", "Errors.User.ExternalIDP.NotFound")
    with transaction():
        user = load_human(org_id, user_id, missing)
        row = IdpLink.get_or_none((IdpLink.user == user.id) & (IdpLink.idp_id == idp_id)
                                  & (IdpLink.provided_user_id == provided_user_id))
        if row is None:
            raise missing()
        row.delete_instance()
        return finish(user, events.append("user", user.id, user.org_id, "user.human.externalidp.removed", editor,
                                          {"idpConfigId": idp_id, "userId": provided_user_id}))
