"""Instance-wide user reads of the management API: login-name lookup, uniqueness, history."""
from . import events, orgs
from .errors import FailedPrecondition, user_not_found
from .search import fold
from .tables import Event, User


def by_login_name(login_name):
    """The one user, in any org, whose login name (userName@org domain) is login_name.

    Split at the last @, as ZITADEL does: a userName may hold an @ itself
    (alice@example.com@acme.gw.example.com). A bare userName is also found
    while no other organisation has a user of that name.
    """
    text = (login_name or "").strip()
    username, _, domain = text.rpartition("@")
    org = orgs.by_domain(domain) if username else None
    if org is not None:
        user = User.select().where((User.org == org.id) & (User.username_key == fold(username))).first()
        if user is not None:
            return user
    # An e-mail-shaped userName may end in a domain that happens to be an organisation's.
    users = list(User.select().where(User.username_key == fold(text)).limit(2))
    # The same userName in two organisations is no single user: report it as unknown.
    return users[0] if len(users) == 1 else _gone()


def _gone():
    raise user_not_found()


def is_unique(org_id, username=None, email=None):
    """No user of org_id has this exact userName and (when given) e-mail (ZITADEL's IsUserUnique).

    Only the organisation counts: user names are unique per organisation, ZITADEL's
    userLoginMustBeDomain mode.
    """
    query = User.select(User.id).where(User.org == org_id)
    if username:
        query = query.where(User.username == username)
    if email:
        query = query.where(User.email == email)
    return not query.exists()


def changes(org_id, user_id, *, after=0, limit=None, ascending=False):
    """Events of one user in org_id with the editors' users: [(event, editor or None)]."""
    found = events.history(user_id, org_id, after=after, limit=limit, ascending=ascending)
    editor_ids = {e.editor_id for e in found if e.editor_id}
    editors = {u.id: u for u in User.select().where(User.id.in_(list(editor_ids)))} if editor_ids else {}
    return [(e, editors.get(e.editor_id)) for e in found]


def last_sequence():
    """The newest event's sequence: what every read here has seen (ListDetails.processedSequence)."""
    return Event.select(Event.id).order_by(Event.id.desc()).limit(1).scalar() or 0


def in_org(org_id, user_id):
    """The user, told apart: unknown (QUERY-Dfbg2) or of another organisation (MANAG-fpo4B)."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise user_not_found("QUERY-Dfbg2")
    if user.org_id != org_id:
        raise user_not_found("MANAG-fpo4B")
    return user


def human_in_org(org_id, user_id):
    """A human of org_id for the profile/e-mail/phone reads: unknown is 404, a machine user 400 NotHuman."""
    user = User.get_or_none((User.id == user_id) & (User.org == org_id))
    if user is None:
        raise user_not_found("QUERY-HNhb3")
    if not user.is_human:
        raise FailedPrecondition("The User must be personal", "QUERY-WLTce", "Errors.User.NotHuman")
    return user
