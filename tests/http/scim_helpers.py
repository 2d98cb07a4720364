"""Constants, assertions and helpers shared by the SCIM HTTP tests."""
import threading

SCIM_JSON = "application/scim+json"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type
    return body

def user_names(scim, filter_text=None):
    query = {"count": 1000}
    if filter_text:
        query["filter"] = filter_text
    response = scim.get("/Users", query_string=query)
    assert response.status_code == 200, response.get_json()
    return sorted(r["userName"] for r in response.get_json()["Resources"])


THREADS = 20

def run_concurrently(app, send):
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def worker(index):
        client = app.test_client()
        barrier.wait()
        try:
            results[index] = send(client, index)
        except Exception as error:  # surfaced in the assertion below
            results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def create_group(scim, display_name, members=(), **attributes):
    body = {"schemas": [GROUP], "displayName": display_name,
            "members": [{"value": m["id"]} for m in members], **attributes}
    response = scim.post("/Groups", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def get_group(scim, group):
    response = scim.get(f"/Groups/{group['id']}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()
