"""Database-side preparation of the benchmark suite, run in its own process per database.

    python -m bench.prepare DATABASE_URL ADMIN_TOKEN GROUP_SIZE SPARES SAMPLE OUTPUT.json

After the users were imported: fills one group with the first GROUP_SIZE users (id order)
through the domain's membership change (as bench/group_membership.py does), and writes to
OUTPUT.json the group id, SPARES user ids outside the group (W7 adds and removes them) and
SAMPLE random (index, id) pairs of seeded users (W4 deactivates them). Index i is the line of
the import file, i.e. the user `okta_body(i)`.
"""
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.group_membership import fill_groups  # noqa: E402


def main(database_url, token, group_size, spares, sample, output):
    group_size, spares, sample = int(group_size), int(spares), int(sample)
    groups, outside = fill_groups(database_url, [group_size], token)

    from models.db import db
    from models.orgs import default_org
    from models.tables import User, UserType

    with db.connection_context():
        org = default_org()
        rows = list(User.select(User.id, User.username).where((User.org == org.id) & (User.type == UserType.HUMAN))
                    .order_by(User.id).tuples())
    # userName user0001234@example.com is line 1234 of the import file
    by_index = {int(name[4:11]): user_id for user_id, name in rows if name.startswith("user") and name[4:11].isdigit()}
    picks = random.Random(11).sample(sorted(by_index), min(sample, len(by_index)))
    Path(output).write_text(json.dumps({
        "group_id": str(groups[group_size]),
        "group_size": group_size,
        "spare_ids": [str(i) for i in outside[-spares:]],
        "sample": [[index, str(by_index[index])] for index in picks],
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
