"""ZITADEL Management API v1 (user endpoints): a thin adapter over models/, at /management/v1.

Literal path segments (`_is_unique`, `_bulk`, `_search`) win over parameters,
as werkzeug orders static parts before converters (reference §1.3).
"""
import threading

import click
from flask import Blueprint
from werkzeug.exceptions import HTTPException

from models import auth_factors, notifications, notify_delivery
from models.db import db
from models.errors import DomainError

from . import errors, humans, logins, metadata, openapi, orgs, policies, users

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
    ("/users/<user_id>/profile", "GET", humans.get_profile),
    ("/users/<user_id>/profile", "PUT", humans.update_profile),
    ("/users/<user_id>/email", "GET", humans.get_email),
    ("/users/<user_id>/email", "PUT", humans.update_email),
    ("/users/<user_id>/_resend_initialization", "POST", humans.resend_initialization),
    ("/users/<user_id>/email/_resend_verification", "POST", humans.resend_email_verification),
    ("/users/<user_id>/phone", "GET", humans.get_phone),
    ("/users/<user_id>/phone", "PUT", humans.update_phone),
    ("/users/<user_id>/phone", "DELETE", humans.remove_phone),
    ("/users/<user_id>/phone/_resend_verification", "POST", humans.resend_phone_verification),
    ("/users/<user_id>/avatar", "DELETE", humans.remove_avatar),
    ("/users/<user_id>/password/_initialize", "POST", humans.set_initial_password),
    ("/users/<user_id>/password", "POST", humans.set_password),
    ("/users/<user_id>/password/_reset", "POST", humans.reset_password),
    ("/users/<user_id>/auth_factors/_search", "POST", logins.list_auth_factors),
    ("/users/<user_id>/auth_factors/otp", "DELETE", logins.remove_otp),
    ("/users/<user_id>/auth_factors/u2f/<token_id>", "DELETE", logins.remove_u2f),
    ("/users/<user_id>/auth_factors/otp_sms", "DELETE", logins.remove_otp_sms),
    ("/users/<user_id>/auth_factors/otp_email", "DELETE", logins.remove_otp_email),
    ("/users/<user_id>/passwordless/_search", "POST", logins.list_passwordless),
    ("/users/<user_id>/passwordless/_link", "POST", logins.add_passwordless_link),
    ("/users/<user_id>/passwordless/_send_link", "POST", logins.send_passwordless_link),
    ("/users/<user_id>/passwordless/<token_id>", "DELETE", logins.remove_passwordless),
    ("/users/<user_id>/idps/_search", "POST", logins.list_idp_links),
    ("/users/<user_id>/idps/<idp_id>/<linked_user_id>", "DELETE", logins.remove_idp_link),
    ("/users/<user_id>/memberships/_search", "POST", orgs.list_memberships),
    ("/orgs/me", "GET", orgs.get_my_org),
    ("/orgs", "POST", orgs.add_org),
    ("/orgs/me/members", "POST", orgs.add_member),
    ("/orgs/me/members/_search", "POST", orgs.list_members),
    ("/orgs/me/members/<user_id>", "PUT", orgs.update_member),
    ("/orgs/me/members/<user_id>", "DELETE", orgs.remove_member),
    ("/policies/password/complexity", "GET", policies.get_policy),
    ("/policies/default/password/complexity", "GET", policies.get_default_policy),
    ("/policies/password/complexity", "POST", policies.add_policy),
    ("/policies/password/complexity", "PUT", policies.update_policy),
    ("/policies/password/complexity", "DELETE", policies.reset_policy),
]
ROUTES += __import__(f"{__name__}.machines", fromlist=["MACHINE_ROUTES"]).MACHINE_ROUTES  # #44-#54, issue 4

# Extensions: routes ZITADEL does not have (marked x-extension in /openapi.json).
EXTENSION_ROUTES = [
    ("/users/<user_id>/auth_factors/otp/_import", "POST", logins.import_totp),
    ("/users/<user_id>/auth_factors/otp_sms/_enable", "POST", logins.enable_otp_sms),
    ("/users/<user_id>/auth_factors/otp_email/_enable", "POST", logins.enable_otp_email),
]


def is_management_path(path):
    return path.startswith("/management/")


def _error_handlers(bp):
    bp.register_error_handler(errors.ApiError, errors.render_api_error)
    bp.register_error_handler(DomainError, errors.render_domain_error)
    bp.register_error_handler(HTTPException, errors.render_http_error)
    # A lost database connection is handled app-wide (app.py), which answers in this API's format.


def _configure_outbox(state):
    settings = state.app.config["SETTINGS"]
    notifications.configure(settings.notify_webhook_url, settings.notify_webhook_secret,
                            settings.notify_encryption_key, settings.notify_lease_seconds)
    auth_factors.configure(settings.mfa_encryption_key)


def notify_commands():
    """`flask --app app notify deliver`: the outbox's delivery worker (a `worker:` process)."""
    commands = Blueprint("notify", __name__, cli_group="notify")

    @commands.cli.command("deliver")
    @click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle.")
    def deliver(once, interval):
        """Deliver pending notifications to NOTIFY_WEBHOOK_URL, retrying with backoff until they arrive."""
        if not notifications.outbox().delivers:
            raise click.ClickException("NOTIFY_WEBHOOK_URL is not set: notifications are only recorded and logged")
        if once:
            with db.connection_context():
                delivered, failed = notify_delivery.deliver_due()
            click.echo(f"delivered {delivered}, failed {failed}")
            return
        notify_delivery.run(threading.Event(), interval=interval)

    return commands


def blueprint():
    bp = Blueprint("management", __name__, url_prefix=PREFIX)
    bp.record_once(_configure_outbox)
    bp.record_once(lambda state: openapi.register(state.app, PREFIX, ROUTES, EXTENSION_ROUTES))
    bp.register_blueprint(notify_commands())
    for rule, method, view in ROUTES + EXTENSION_ROUTES:
        # Named after its RPC: validation errors name the RPC's request message (http.context).
        bp.add_url_rule(rule, endpoint=openapi.OPERATIONS[view][0], view_func=view, methods=[method])
    _error_handlers(bp)
    return bp
