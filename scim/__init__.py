"""SCIM 2.0 service provider (RFC 7643/7644): a thin adapter over models/.

Mounted twice: at /scim/v2 (the caller's own organisation) and at
/scim/v2/<orgId> (an explicit organisation, as ZITADEL does).
"""
from flask import Blueprint, g, request

from . import bulk, discovery, groups, me, openapi, root_search, users
from .errors import MEDIA_TYPE

ORG = "<scim_org:org>"


def _routes(bp):
    bp.add_url_rule("/ServiceProviderConfig", view_func=discovery.service_provider_config)
    bp.add_url_rule("/ResourceTypes", view_func=discovery.resource_types)
    bp.add_url_rule("/ResourceTypes/<name>", view_func=discovery.resource_type)
    bp.add_url_rule("/Schemas", view_func=discovery.schemas)
    bp.add_url_rule("/Schemas/<path:schema_id>", view_func=discovery.schema)
    bp.add_url_rule("/openapi.json", view_func=openapi.serve)
    _resource(bp, "Users", "user", users)
    _resource(bp, "Groups", "group", groups)
    bp.add_url_rule("/.search", view_func=root_search.search, methods=["POST"], endpoint="root_search")
    bp.add_url_rule("/Bulk", view_func=bulk.bulk, methods=["POST"])
    for method, view in (("GET", me.get), ("PUT", me.replace), ("PATCH", me.patch), ("DELETE", me.delete)):
        bp.add_url_rule("/Me", view_func=view, methods=[method], endpoint=f"{method.lower()}_me")


def _resource(bp, endpoint, name, module):
    """The RFC 7644 §3.2 routes of one resource type, served by module."""
    bp.add_url_rule(f"/{endpoint}", view_func=module.list_, methods=["GET"], endpoint=f"list_{name}s")
    bp.add_url_rule(f"/{endpoint}", view_func=module.create, methods=["POST"], endpoint=f"create_{name}")
    bp.add_url_rule(f"/{endpoint}/.search", view_func=module.search, methods=["POST"], endpoint=f"search_{name}s")
    item = f"/{endpoint}/<{name}_id>"
    for method, view in (("GET", module.get), ("PUT", module.replace), ("PATCH", module.patch),
                         ("DELETE", module.delete)):
        bp.add_url_rule(item, view_func=view, methods=[method], endpoint=f"{method.lower()}_{name}")


def _take_org(endpoint, values):
    g.scim_org_in_path = (values or {}).pop("org", None)


def _options_in_scim_media_type(response):
    """Flask answers OPTIONS itself: 200, text/html, no body, and the Allow header.

    Every SCIM response is application/scim+json, so this one is too. It becomes
    204 No Content: RFC 7644 gives OPTIONS no body to send, and a 200 with `{}`
    would be a JSON object that is no SCIM message (no schemas) for a client to
    misread; Allow carries all there is to say.
    """
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204
        response.set_data(b"")
        response.mimetype = MEDIA_TYPE
    return response


def blueprints():
    own = Blueprint("scim", __name__, url_prefix="/scim/v2")
    explicit = Blueprint("scim_org", __name__, url_prefix=f"/scim/v2/{ORG}")
    for bp in (own, explicit):
        _routes(bp)
        bp.url_value_preprocessor(_take_org)
        bp.after_request(_options_in_scim_media_type)
    return own, explicit
