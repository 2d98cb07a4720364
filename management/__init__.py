"""ZITADEL Management API v1 (user endpoints): a thin adapter over models/, at /management/v1.

Literal path segments (`_is_unique`, `_bulk`, `_search`) win over parameters,
as werkzeug orders static parts before converters (reference §1.3).
"""
import logging

import peewee
from flask import Blueprint
from werkzeug.exceptions import HTTPException

from models.errors import DomainError

from . import errors, metadata, users

log = logging.getLogger("gateway.management")
PREFIX = "/management/v1"

ROUTES = [
    ("/users/<user_id>", "GET", users.get_by_id),
    ("/global/users/_by_login_name", "GET", users.get_by_login_name_global),
    ("/users/_search", "POST", users.search),
    ("/users/<user_id>/changes/_search", "POST", users.changes),
    ("/users/_is_unique", "GET", users.is_unique),
    ("/users/human", "POST", users.add_human),
    ("/users/human/_import", "POST", users.import_human),
    ("/users/machine", "POST", users.add_machine_user),
    ("/users/<user_id>/_deactivate", "POST", users.deactivate),
    ("/users/<user_id>/_reactivate", "POST", users.reactivate),
    ("/users/<user_id>/_lock", "POST", users.lock),
    ("/users/<user_id>/_unlock", "POST", users.unlock),
    ("/users/<user_id>", "DELETE", users.remove),
    ("/users/<user_id>/username", "PUT", users.rename),
    ("/users/<user_id>/metadata/<path:key>", "POST", metadata.set_one),
    ("/users/<user_id>/metadata/_bulk", "POST", metadata.set_bulk),
    ("/users/<user_id>/metadata/_search", "POST", metadata.search),
    ("/users/<user_id>/metadata/<path:key>", "GET", metadata.get_one),
    ("/users/<user_id>/metadata/<path:key>", "DELETE", metadata.remove_one),
    ("/users/<user_id>/metadata/_bulk", "DELETE", metadata.remove_bulk),
]


def is_management_path(path):
    return path.startswith("/management/")


def _error_handlers(bp):
    bp.register_error_handler(errors.ApiError, errors.render_api_error)
    bp.register_error_handler(DomainError, errors.render_domain_error)
    bp.register_error_handler(HTTPException, errors.render_http_error)

    @bp.errorhandler(peewee.OperationalError)
    def database_down(error):
        log.error("database unavailable: %s", error)
        return errors.render(errors.UNAVAILABLE, "the database is unavailable; retry shortly")


def blueprint():
    bp = Blueprint("management", __name__, url_prefix=PREFIX)
    for rule, method, view in ROUTES:
        bp.add_url_rule(rule, endpoint=f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}_{method.lower()}",
                        view_func=view, methods=[method])
    _error_handlers(bp)
    return bp
