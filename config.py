"""Settings read from the environment, Heroku-style.

Every setting the gateway understands is listed here and in the README's
configuration table; only gunicorn.conf.py reads the server's own (PORT, WEB_CONCURRENCY...).
"""
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def _int(name, default):
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _bool(name, default):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _choice(name, allowed, default):
    raw = (os.environ.get(name) or "").strip().lower() or default
    if raw not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return raw


@dataclass
class Settings:
    # None means "a SQLite file in the Flask instance folder".
    database_url: str | None = None
    admin_token: str | None = None
    # Public base URL (scheme://host[:port]); None means the request's own.
    issuer: str | None = None
    log_level: str = "INFO"
    # SCIM paging: default and maximum page size (advertised as filter.maxResults).
    scim_default_count: int = 100
    scim_max_count: int = 1000
    # Largest request body accepted anywhere, in bytes.
    max_body_bytes: int = 1_048_576
    # Okta sends random passwords on create (ZITADEL issue #10009); True ignores them
    # for every caller. Per caller, the machine user's metadata key
    # urn:zitadel:scim:ignorePasswordOnCreate = "true" does the same.
    scim_ignore_password_on_create: bool = False
    # Whether an e-mail or phone provisioned through SCIM counts as verified
    # (ZITADEL's SCIM.EmailVerified / SCIM.PhoneVerified, both true by default).
    scim_email_verified: bool = True
    scim_phone_verified: bool = True
    # Management API: passkey registration link; {origin} is ISSUER or the request's base URL.
    passkey_link_template: str = ("{origin}/ui/login/login/passwordless/init"
                                  "?userID={userID}&orgID={orgID}&codeID={codeID}&code={code}")
    # Token service (/oauth/v2): lifetimes in seconds. JWT access tokens are short so that a
    # deletion or deactivation reaches relying parties that verify them offline within it.
    jwt_access_token_lifetime: int = 300
    opaque_access_token_lifetime: int = 43_200
    # Each process signs JWTs with a key of its own and replaces it this often (seconds).
    signing_key_rotation: int = 21_600
    # Token, introspection and revocation endpoints: flask-limiter rate limits and their storage
    # (memory:// counts per worker process; redis://host:6379 shares the counts).
    token_rate_limit_per_client: str = "20 per minute"
    token_rate_limit_per_address: str = "60 per minute"
    ratelimit_storage_uri: str = "memory://"
    # How many reverse proxies in front of the gateway set X-Forwarded-* headers (0: none trusted).
    trusted_proxies: int = 0
    # Fernet key sealing imported TOTP secrets (they must stay readable, so they cannot be hashed).
    mfa_encryption_key: str | None = None
    # Notification webhook: where the outbox is delivered (unset: notifications are only recorded and
    # logged), the HMAC-SHA256 signing secret, and the Fernet key sealing one-time codes until delivery
    # (unset: derived from the secret with HKDF).
    notify_webhook_url: str | None = None
    notify_webhook_secret: str | None = None
    notify_encryption_key: str | None = None
    # How long a delivery worker holds a claimed notification; a worker that dies mid-send
    # leaves it to be retried by another after this many seconds.
    notify_lease_seconds: int = 60
    # The instance's domain: organisations get <name>.<it> as their domain, and users the login
    # name userName@<org domain> (ZITADEL's ExternalDomain). None: ISSUER's host, else localhost.
    instance_domain: str | None = None
    # Who may create organisations (POST /management/v1/orgs): "authenticated" is ZITADEL's rule (any
    # caller, who becomes the new one's ORG_OWNER); "administrators" needs org.create (IAM_OWNER,
    # IAM_ORG_MANAGER), for instances where a tenant's token must not gain an organisation of its own.
    org_creation: str = "authenticated"
    extra: dict = field(default_factory=dict)

    @property
    def org_domain_suffix(self):
        return self.instance_domain or (urlsplit(self.issuer).hostname if self.issuer else None) or "localhost"

    @classmethod
    def from_env(cls):
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            admin_token=os.environ.get("ADMIN_TOKEN") or None,
            issuer=(os.environ.get("ISSUER") or "").rstrip("/") or None,
            log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
            scim_default_count=_int("SCIM_DEFAULT_COUNT", 100),
            scim_max_count=_int("SCIM_MAX_COUNT", 1000),
            max_body_bytes=_int("MAX_BODY_BYTES", 1_048_576),
            scim_ignore_password_on_create=_bool("SCIM_IGNORE_PASSWORD_ON_CREATE", False),
            scim_email_verified=_bool("SCIM_EMAIL_VERIFIED", True),
            scim_phone_verified=_bool("SCIM_PHONE_VERIFIED", True),
            passkey_link_template=os.environ.get("PASSKEY_LINK_TEMPLATE") or cls.passkey_link_template,
            notify_webhook_url=os.environ.get("NOTIFY_WEBHOOK_URL") or None,
            notify_webhook_secret=os.environ.get("NOTIFY_WEBHOOK_SECRET") or None,
            notify_encryption_key=os.environ.get("NOTIFY_ENCRYPTION_KEY") or None,
            notify_lease_seconds=_int("NOTIFY_LEASE_SECONDS", 60),
            jwt_access_token_lifetime=_int("JWT_ACCESS_TOKEN_LIFETIME", 300),
            opaque_access_token_lifetime=_int("OPAQUE_ACCESS_TOKEN_LIFETIME", 43_200),
            signing_key_rotation=_int("SIGNING_KEY_ROTATION", 21_600),
            token_rate_limit_per_client=(os.environ.get("TOKEN_RATE_LIMIT_PER_CLIENT")
                                         or cls.token_rate_limit_per_client),
            token_rate_limit_per_address=(os.environ.get("TOKEN_RATE_LIMIT_PER_ADDRESS")
                                          or cls.token_rate_limit_per_address),
            ratelimit_storage_uri=os.environ.get("RATELIMIT_STORAGE_URI") or cls.ratelimit_storage_uri,
            trusted_proxies=_int("TRUSTED_PROXIES", 0),
            mfa_encryption_key=os.environ.get("MFA_ENCRYPTION_KEY") or None,
            instance_domain=(os.environ.get("INSTANCE_DOMAIN") or "").strip().lower() or None,
            org_creation=_choice("ORG_CREATION", ("authenticated", "administrators"), "authenticated"),
        )
