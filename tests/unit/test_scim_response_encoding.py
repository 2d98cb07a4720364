"""SCIM bodies are written by orjson, and by the standard library where orjson cannot."""
import json

from scim.http import respond


def test_a_body_is_compact_utf8_json(app):
    with app.test_request_context():
        response = respond({"userName": "jos\u00e9@example.com", "emoji": "\U0001F600", "n": 1, "ok": True})
    assert response.get_data() == '{"userName":"jos\u00e9@example.com","emoji":"\U0001F600","n":1,"ok":true}'.encode()
    assert response.mimetype == "application/scim+json"


def test_an_integer_past_64_bits_is_still_written(app):
    with app.test_request_context():
        response = respond({"big": 2**70, "name": "\u00e9"}, status=201, headers={"ETag": 'W/"1"'})
    assert json.loads(response.get_data()) == {"big": 2**70, "name": "\u00e9"}
    assert response.status_code == 201 and response.headers["ETag"] == 'W/"1"'
