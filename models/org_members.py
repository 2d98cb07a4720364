"""Organisation members (administrators) and a user's memberships (reference §6.11 and ZITADEL's org API).

Roles live in models.tables.Member, per scope: the instance (`iam`) or one
organisation. A member of an organisation may be a user of any organisation.
"""
import functools
import operator

from . import events
from .db import transaction
from .errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from .members import IAM_SCOPE, grant
from .orgs import create_org
from .search import user_condition
from .tables import Member, Org, User
from .user_changes import Stamp


def _checked_roles(roles, allowed, invalid_id, empty):
    if not roles:
        raise empty
    if set(roles) - set(allowed):
        raise InvalidArgument("Member is invalid", invalid_id, "Errors.Org.MemberInvalid")
    return sorted(set(roles))


def _member(org_id, user_id):
    return Member.get_or_none((Member.user == user_id) & (Member.scope == org_id))


def _stamp(member):
    return Stamp(member.sequence, member.changed_at)


def add_member(org_id, user_id, roles, editor, allowed):
    """AddOrgMember: roles for a user (of any organisation) in org_id; returns the stamp of the write."""
    roles = _checked_roles(roles, allowed, "Org-4N8es",
                           InvalidArgument("Errors.Invalid.Argument", "V2-PfYhb", "Errors.Invalid.Argument"))
    with transaction():
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise FailedPrecondition("User could not be found", "ORG-GoXOn", "Errors.User.NotFound")
        if _member(org_id, user_id) is not None:
            raise AlreadyExists("Member already exists", "ORG-poWwe", "Errors.Org.Member.AlreadyExists")
        return _stamp(grant(user, org_id, roles, editor))


def _existing(org_id, user_id):
    member = _member(org_id, user_id)
    if member is None:
        raise NotFound("Errors.NotFound", "Org-D8JxR", "Errors.NotFound")
    return member


def change_member(org_id, user_id, roles, editor, allowed):
    """UpdateOrgMember: the whole role list is replaced; the same list is an error.

    Unlike ZITADEL, the member is looked up before the roles are checked, so that a request
    about someone who is no member here learns nothing but "not found".
    """
    with transaction():
        member = _existing(org_id, user_id)
        roles = _checked_roles(roles, allowed, "IAM-m9fG8",
                               InvalidArgument("Member is invalid", "Org-LiaZi", "Errors.Org.MemberInvalid"))
        if sorted(member.role_list) == roles:
            raise FailedPrecondition("Roles have not been changed", "Org-LiaZi", "Errors.Org.Member.RolesNotChanged")
        return _stamp(grant(member.user, org_id, roles, editor, event_type="org.member.changed"))


def remove_member(org_id, user_id, editor):
    """RemoveOrgMember; removing a non-member succeeds with nothing to report (None), as in ZITADEL."""
    with transaction():
        member = _member(org_id, user_id)
        if member is None:
            return None
        event = events.append("org", org_id, org_id, "org.member.removed", editor, {"userId": user_id})
        member.delete_instance()
        return event


def search_members(org_id, predicate, *, offset=0, limit=None):
    """(total, [(member, user)]) of org_id whose users satisfy predicate (the user search fields)."""
    member_orgs = [row.org_id for row in User.select(User.org).distinct().join(Member).where(Member.scope == org_id)]
    if not member_orgs:
        return 0, []
    condition = functools.reduce(operator.or_, (user_condition(o, predicate) for o in member_orgs))
    query = (Member.select(Member, User).join(User).where((Member.scope == org_id) & condition)
             .order_by(Member.created_at, Member.id))
    total = query.count()
    page = query.offset(offset or None)
    if limit:
        page = page.limit(limit)
    return total, [(m, m.user) for m in page]


def memberships(org_id, user_id, *, scopes=None, offset=0, limit=None):
    """(total, [(member, display name)]) of the user's memberships in the instance and in org_id.

    scopes, when given, narrows them (the MembershipQuery filters).
    """
    wanted = {IAM_SCOPE, org_id} if scopes is None else {IAM_SCOPE, org_id} & set(scopes)
    query = (Member.select().where((Member.user == user_id) & Member.scope.in_(sorted(wanted)))
             .order_by(Member.created_at, Member.id))
    total = query.count()
    page = query.offset(offset or None)
    if limit:
        page = page.limit(limit)
    rows = list(page)
    names = {o.id: o.name for o in Org.select(Org.id, Org.name).where(Org.id.in_([m.scope for m in rows]))}
    return total, [(m, names.get(m.scope, INSTANCE_NAME)) for m in rows]


# The instance has no name of its own here; ZITADEL shows its instance's name.
INSTANCE_NAME = "ZITADEL"


def create_owned_org(name, owner):
    """AddOrg: a new organisation whose creator becomes its ORG_OWNER, in one transaction."""
    with transaction():
        org = create_org(name, owner.id)
        grant(owner, org.id, ["ORG_OWNER"], owner.id)
        return org
