"""Exporting an organisation's users as SCIM resources, one JSON object per line.

Users are read a page at a time in id order (keyset paging), so memory stays
flat however many there are; each line is what GET /scim/v2/Users/{id} shows.
"""
import json

from models.groups import groups_of_users
from models.tables import User, UserType
from models.users import display_names, metadata_of
from scim.casting import manager_ids, to_scim

PAGE = 1000


def export_users(org_id, out, base_url, *, page=PAGE):
    """Write every human user of org_id to out as JSON Lines; returns how many."""
    users_url, groups_url = f"{base_url}/scim/v2/Users", f"{base_url}/scim/v2/Groups"
    last_id, written = "", 0
    while True:
        users = list(User.select().where((User.org == org_id) & (User.type == UserType.HUMAN) & (User.id > last_id))
                     .order_by(User.id).limit(page))
        if not users:
            return written
        ids = [u.id for u in users]
        metadata, groups = metadata_of(ids), groups_of_users(users)
        names = display_names(manager_ids(metadata), org_id)
        for user in users:
            resource = to_scim(user, metadata[user.id], users_url, names, groups[user.id], groups_url)
            out.write(json.dumps(resource, ensure_ascii=False) + "\n")
        written += len(users)
        last_id = ids[-1]
