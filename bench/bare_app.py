"""Baseline for the benchmarks: a bare Flask route returning a fixed JSON body.

Served by the same gunicorn settings as the gateway, it is the framework's
ceiling on this machine; the gateway's figures are read as ratios to it. It
answers every path and method (GET, POST, PATCH, PUT, DELETE) the same way, so
that each workload's wrk script can be replayed against it unchanged.
"""
from flask import Flask, Response

app = Flask(__name__)

BODY = (
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"itemsPerPage":1,'
    '"startIndex":1,"Resources":[{"id":"1","userName":"user@example.com"}]}'
)
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


@app.route("/", defaults={"path": ""}, methods=METHODS)
@app.route("/<path:path>", methods=METHODS)
def anything(path):
    return Response(BODY, mimetype="application/scim+json")
