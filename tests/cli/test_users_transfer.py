"""flask users import / export: formats, idempotent re-runs, bad rows, export round trip."""
import json
import uuid

import pytest

from models import policies
from models.db import db
from models.orgs import create_org
from models.tables import Event, User, UserMetadata


@pytest.fixture
def org(app):
    with db.connection_context():
        return create_org(f"transfer-{uuid.uuid4().hex[:10]}", editor=None)


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def usernames(org_id):
    with db.connection_context():
        return sorted(u.username for u in User.select().where(User.org == org_id))


def run_import(cli, org, path, *extra):
    return cli.invoke(args=["users", "import", str(path), "--org", org.id, *extra])


def test_csv_import_creates_users_and_a_rerun_creates_nothing(cli, org, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("userName,givenName,familyName,email,externalId,title,active\n"
                    "ann@example.com,Ann,Anders,ann@example.com,e-1,Engineer,true\n"
                    "bob@example.com,Bob,Berg,bob@example.com,e-2,,false\n")
    first = run_import(cli, org, path)
    assert first.exit_code == 0, first.output
    assert "created 2, skipped 0 existing, 0 bad" in first.output
    assert usernames(org.id) == ["ann@example.com", "bob@example.com"]
    with db.connection_context():
        bob = User.get((User.org == org.id) & (User.username == "bob@example.com"))
        assert bob.state == 2 and bob.email == "bob@example.com" and bob.first_name == "Bob"
        events_before = Event.select().count()
    second = run_import(cli, org, path)
    assert second.exit_code == 0, second.output
    assert "created 0, skipped 2 existing, 0 bad" in second.output
    with db.connection_context():
        assert Event.select().count() == events_before


def test_json_list_of_scim_resources_keeps_scim_only_attributes(cli, org, tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{
        "userName": "carol@example.com", "externalId": "00u1",
        "emails": [{"value": "carol@example.com", "type": "work", "primary": True}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"},
    }]))
    result = run_import(cli, org, path)
    assert result.exit_code == 0, result.output
    with db.connection_context():
        user = User.get((User.org == org.id) & (User.username == "carol@example.com"))
        keys = {m.key: bytes(m.value) for m in UserMetadata.select().where(UserMetadata.user == user.id)}
    assert keys["urn:zitadel:scim:externalId"] == b"00u1"
    assert keys["urn:zitadel:scim:enterprise:department"] == b"Ops"


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "no-returning"])
def test_each_imported_user_and_its_metadata_are_at_the_sequence_of_its_one_event(
        cli, org, tmp_path, returning, monkeypatch):
    monkeypatch.setattr("models.events.has_returning", lambda: returning)
    path = tmp_path / "users.jsonl"
    path.write_text("".join(json.dumps({"userName": f"seq{n}@example.com", "externalId": f"x-{n}",
                                        "title": f"T{n}"}) + "\n" for n in range(5)))
    result = run_import(cli, org, path, "--batch", "2", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "created 5, skipped 0 existing, 0 bad" in result.output
    with db.connection_context():
        users = list(User.select().where(User.org == org.id))
        assert len(users) == 5
        for user in users:
            (event,) = Event.select().where(Event.aggregate_id == user.id)
            assert event.type == "user.human.added"
            assert user.sequence == event.id
            metadata = list(UserMetadata.select().where(UserMetadata.user == user.id))
            assert {m.key for m in metadata} >= {"urn:zitadel:scim:externalId"}
            assert {m.sequence for m in metadata} == {event.id}
        assert len({user.sequence for user in users}) == 5


def test_zitadel_import_bodies_follow_the_import_endpoint_rules(cli, org, tmp_path):
    path = tmp_path / "zitadel.jsonl"
    body = {"userName": "dora", "profile": {"firstName": "Dora", "lastName": "Dunn"},
            "email": {"email": "dora@example.com", "isEmailVerified": True}, "password": "Secr3t!Passw0rd"}
    path.write_text(json.dumps(body) + "\n")
    result = run_import(cli, org, path)
    assert result.exit_code == 0, result.output
    with db.connection_context():
        dora = User.get((User.org == org.id) & (User.username == "dora"))
    # verified e-mail and a password: ready (ACTIVE), with ZITADEL's default display name
    assert dora.state == 1 and dora.display_name == "Dora Dunn"
    assert dora.password_hash.startswith("$argon2") and "Secr3t" not in dora.password_hash


# jobs=1 validates in this process; jobs=3 in worker processes, in chunks smaller than the file.
@pytest.mark.parametrize("jobs", ["1", "3"])
def test_bad_rows_are_reported_with_their_line_and_the_rest_is_imported(cli, org, tmp_path, jobs, monkeypatch):
    monkeypatch.setattr("transfer.importer.CHUNK", 2)
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        json.dumps({"userName": "good1"}),
        "{not json",
        json.dumps({"name": {"givenName": "no username"}}),
        json.dumps({"userName": "good2", "active": "maybe"}),
        json.dumps({"userName": "dora", "profile": {"firstName": "", "lastName": "X"}, "email": {"email": "x"}}),
        json.dumps({"userName": "good3"}),
    ]) + "\n")
    result = run_import(cli, org, path, "--jobs", jobs)
    assert result.exit_code == 1, result.output
    assert "created 2, skipped 0 existing, 4 bad" in result.output
    reported = [line.split(":")[0] for line in result.output.splitlines() if line.startswith("line ")]
    assert reported == ["line 2", "line 3", "line 4", "line 5"]
    assert usernames(org.id) == ["good1", "good3"]


def test_a_record_the_domain_refuses_leaves_its_batch_neighbours_imported_and_itself_absent(cli, org, tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join([json.dumps({"userName": "fine-a"}),
                               json.dumps({"userName": "too-long", "nickName": "n" * 500}),
                               json.dumps({"userName": "fine-b"})]) + "\n")
    result = run_import(cli, org, path)
    assert "line 2:" in result.output and "created 2" in result.output
    assert usernames(org.id) == ["fine-a", "fine-b"]


def test_export_writes_one_scim_resource_per_line_and_reimports_as_nothing_new(cli, org, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("userName,givenName,email\n" + "".join(f"u{i}@example.com,U{i},u{i}@example.com\n"
                                                             for i in range(25)))
    assert run_import(cli, org, source).exit_code == 0
    exported = tmp_path / "out.jsonl"
    result = cli.invoke(args=["users", "export", "--org", org.id, "--output", str(exported),
                              "--base-url", "https://gw.example.com"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(lines) == 25 and lines[0]["meta"]["location"].startswith("https://gw.example.com/scim/v2/Users/")
    assert {r["userName"] for r in lines} == {f"u{i}@example.com" for i in range(25)}
    again = run_import(cli, org, exported)
    assert "created 0, skipped 25 existing, 0 bad" in again.output


def test_export_pages_through_users_in_id_order_without_repeats(cli, org, tmp_path):
    import io

    from transfer.exporter import export_users

    source = tmp_path / "in.csv"
    source.write_text("userName\n" + "".join(f"p{i}\n" for i in range(23)))
    assert run_import(cli, org, source).exit_code == 0
    out = io.StringIO()
    with db.connection_context():
        assert export_users(org.id, out, "http://x", page=5) == 23
    ids = [json.loads(line)["id"] for line in out.getvalue().splitlines()]
    assert ids == sorted(ids) and len(set(ids)) == 23


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_plain_passwords_are_held_to_the_organisations_policy(cli, org, tmp_path, jobs, monkeypatch):
    monkeypatch.setattr("transfer.importer.CHUNK", 1)
    path = tmp_path / "passwords.jsonl"
    path.write_text("\n".join([
        json.dumps({"userName": "strong", "password": "Str0ng-Passw0rd!"}),
        json.dumps({"userName": "weak", "password": "weak"}),
        json.dumps({"userName": "zweak", "profile": {"firstName": "Z", "lastName": "W"},
                    "email": {"email": "zweak@example.com"}, "password": "weak"}),
    ]) + "\n")
    result = run_import(cli, org, path, "--jobs", jobs)
    assert "line 2: Password is too short" in result.output, result.output
    assert "line 3: Password is too short" in result.output, result.output
    assert usernames(org.id) == ["strong"]
    # The organisation's own, relaxed policy is the one that counts.
    with db.connection_context():
        policies.add_policy(org.id, {"min_length": 4, "has_lowercase": True, "has_uppercase": False,
                                     "has_number": False, "has_symbol": False}, editor=None)
    result = run_import(cli, org, path, "--jobs", jobs)
    assert "created 2" in result.output, result.output
    assert usernames(org.id) == ["strong", "weak", "zweak"]
