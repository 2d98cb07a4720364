"""Baseline for the benchmarks: a bare Flask route returning a fixed JSON body.

Served by the same gunicorn settings as the gateway, it is the framework's
ceiling on this machine; the gateway's figures are read as ratios to it.
"""
from flask import Flask, Response

app = Flask(__name__)

BODY = (
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"itemsPerPage":1,'
    '"startIndex":1,"Resources":[{"id":"1","userName":"user@example.com"}]}'
)


@app.get("/scim/v2/Users")
def users():
    return Response(BODY, mimetype="application/scim+json")
