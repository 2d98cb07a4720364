"""SCIM 2.0 service provider (RFC 7643/7644): a thin adapter over models/.

Mounted twice: at /scim/v2 (the caller's own organisation) and at
/scim/v2/<orgId> (an explicit organisation, as ZITADEL does).
"""
from flask import Blueprint, g

from . import bulk, discovery, groups, me, root_search, users

ORG = "<scim_org:org>"


def _routes(bp):
    bp.add_url_rule("/ServiceProviderConfig", view_func=discovery.service_provider_config)
    bp.add_url_rule("/ResourceTypes", view_func=discovery.resource_types)
    bp.add_url_rule("/ResourceTypes/<name>", view_func=discovery.resource_type)
    bp.add_url_rule("/Schemas", view_func=discovery.schemas)
    bp.add_url_rule("/Schemas/<path:schema_id>", view_func=discovery.schema)
    bp.add_url_rule("/Users", view_func=users.list_, methods=["GET"])
    bp.add_url_rule("/Users", view_func=users.create, methods=["POST"], endpoint="create_user")
    bp.add_url_rule("/Users/.search", view_func=users.search, methods=["POST"])
    bp.add_url_rule("/.search", view_func=root_search.search, methods=["POST"], endpoint="root_search")
    bp.add_url_rule("/Users/<user_id>", view_func=users.get, methods=["GET"])
    bp.add_url_rule("/Users/<user_id>", view_func=users.replace, methods=["PUT"], endpoint="replace_user")
    bp.add_url_rule("/Users/<user_id>", view_func=users.patch, methods=["PATCH"], endpoint="patch_user")
    bp.add_url_rule("/Users/<user_id>", view_func=users.delete, methods=["DELETE"], endpoint="delete_user")
    bp.add_url_rule("/Me", view_func=me.get, methods=["GET"], endpoint="get_me")
    bp.add_url_rule("/Me", view_func=me.replace, methods=["PUT"], endpoint="replace_me")
    bp.add_url_rule("/Me", view_func=me.patch, methods=["PATCH"], endpoint="patch_me")
    bp.add_url_rule("/Me", view_func=me.delete, methods=["DELETE"], endpoint="delete_me")
    bp.add_url_rule("/Bulk", view_func=bulk.bulk, methods=["POST"])
    bp.add_url_rule("/Groups", view_func=groups.list_, methods=["GET"], endpoint="list_groups")
    bp.add_url_rule("/Groups", view_func=groups.create, methods=["POST"], endpoint="create_group")
    bp.add_url_rule("/Groups/.search", view_func=groups.search, methods=["POST"], endpoint="search_groups")
    bp.add_url_rule("/Groups/<group_id>", view_func=groups.get, methods=["GET"], endpoint="get_group")
    bp.add_url_rule("/Groups/<group_id>", view_func=groups.replace, methods=["PUT"], endpoint="replace_group")
    bp.add_url_rule("/Groups/<group_id>", view_func=groups.patch, methods=["PATCH"], endpoint="patch_group")
    bp.add_url_rule("/Groups/<group_id>", view_func=groups.delete, methods=["DELETE"], endpoint="delete_group")


def _take_org(endpoint, values):
    g.scim_org_in_path = (values or {}).pop("org", None)


def blueprints():
    own = Blueprint("scim", __name__, url_prefix="/scim/v2")
    explicit = Blueprint("scim_org", __name__, url_prefix=f"/scim/v2/{ORG}")
    for bp in (own, explicit):
        _routes(bp)
        bp.url_value_preprocessor(_take_org)
    return own, explicit
