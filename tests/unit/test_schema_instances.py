"""schema_instances: one instance per schema class and thread, and nothing kept between loads."""
import threading

import pytest
from marshmallow import ValidationError

from management.schemas import AddHumanUserRequest
from schema_instances import instance
from scim.patch import PatchRequestSchema

PATCH = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "replace", "value": {"active": False}}]}


def test_a_thread_gets_the_same_instance_each_time_and_another_thread_its_own():
    mine = instance(PatchRequestSchema)
    assert instance(PatchRequestSchema) is mine
    assert isinstance(mine, PatchRequestSchema) and instance(AddHumanUserRequest) is not mine
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(instance(PatchRequestSchema)))
    worker.start()
    worker.join()
    assert isinstance(theirs[0], PatchRequestSchema) and theirs[0] is not mine


def test_a_failed_load_leaves_nothing_behind_for_the_next():
    schema = instance(PatchRequestSchema)
    with pytest.raises(ValidationError):
        schema.load({"Operations": "not a list"})
    assert schema.load(PATCH)["operations"] == [{"op": "replace", "path": None, "value": {"active": False}}]
