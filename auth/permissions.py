"""Role -> permission mapping (ZITADEL's defaults, reference §1.5) and the check itself."""
from models.members import IAM_SCOPE

_PROJECT_VIEW = ("PROJECT_OWNER", "PROJECT_OWNER_VIEWER", "PROJECT_GRANT_OWNER", "PROJECT_GRANT_OWNER_VIEWER")

PERMISSIONS = {
    "user.read": (
        "IAM_OWNER", "IAM_OWNER_VIEWER", "IAM_ORG_MANAGER", "IAM_USER_MANAGER", "IAM_LOGIN_CLIENT",
        "ORG_OWNER", "ORG_OWNER_VIEWER", "ORG_USER_MANAGER", "ORG_USER_PERMISSION_EDITOR",
        "ORG_PROJECT_PERMISSION_EDITOR", *_PROJECT_VIEW,
    ),
    "user.write": (
        "IAM_OWNER", "IAM_ORG_MANAGER", "IAM_USER_MANAGER", "IAM_LOGIN_CLIENT", "ORG_OWNER", "ORG_USER_MANAGER",
    ),
    "user.delete": ("IAM_OWNER", "IAM_ORG_MANAGER", "IAM_USER_MANAGER", "ORG_OWNER", "ORG_USER_MANAGER"),
    "user.global.read": (
        "IAM_OWNER", "IAM_OWNER_VIEWER", "IAM_ORG_MANAGER", "IAM_USER_MANAGER", "ORG_OWNER", "ORG_USER_MANAGER",
        "ORG_OWNER_VIEWER", "ORG_USER_PERMISSION_EDITOR", "ORG_PROJECT_PERMISSION_EDITOR", "ORG_PROJECT_CREATOR",
        "PROJECT_OWNER", "PROJECT_OWNER_VIEWER", "PROJECT_OWNER_GLOBAL", "PROJECT_OWNER_VIEWER_GLOBAL",
        "PROJECT_GRANT_OWNER", "PROJECT_GRANT_OWNER_VIEWER",
    ),
    "user.credential.write": ("IAM_OWNER", "IAM_ORG_MANAGER", "ORG_OWNER", "IAM_LOGIN_CLIENT"),
    "user.membership.read": (
        "IAM_OWNER", "IAM_OWNER_VIEWER", "IAM_ORG_MANAGER", "IAM_USER_MANAGER", "IAM_LOGIN_CLIENT",
        "ORG_OWNER", "ORG_USER_MANAGER", "ORG_OWNER_VIEWER", "PROJECT_OWNER", "PROJECT_OWNER_VIEWER",
        "PROJECT_OWNER_GLOBAL", "PROJECT_OWNER_VIEWER_GLOBAL", "PROJECT_GRANT_OWNER", "PROJECT_GRANT_OWNER_VIEWER",
    ),
}

# ZITADEL's auth option of the RPCs any caller with a valid token may use (AddOrg): no role is needed.
AUTHENTICATED = "authenticated"

# Organisation, member and policy permissions (the part of ZITADEL's defaults the org endpoints need).
_ORG_ADMINS = ("IAM_OWNER", "IAM_ORG_MANAGER", "ORG_OWNER")
PERMISSIONS.update({
    # AddOrg when ORG_CREATION=administrators (ZITADEL's own rule is AUTHENTICATED).
    "org.create": ("IAM_OWNER", "IAM_ORG_MANAGER"),
    "org.read": (*_ORG_ADMINS, "IAM_OWNER_VIEWER", "IAM_USER_MANAGER", "IAM_LOGIN_CLIENT", "ORG_OWNER_VIEWER",
                 "ORG_USER_MANAGER", "ORG_SETTINGS_MANAGER", "ORG_USER_PERMISSION_EDITOR",
                 "ORG_PROJECT_PERMISSION_EDITOR", "ORG_PROJECT_CREATOR"),
    "org.member.read": (*_ORG_ADMINS, "IAM_OWNER_VIEWER", "ORG_OWNER_VIEWER", "ORG_USER_PERMISSION_EDITOR"),
    "org.member.write": (*_ORG_ADMINS, "ORG_USER_PERMISSION_EDITOR"),
    "org.member.delete": (*_ORG_ADMINS, "ORG_USER_PERMISSION_EDITOR"),
    "policy.read": (*_ORG_ADMINS, "IAM_OWNER_VIEWER", "IAM_LOGIN_CLIENT", "ORG_OWNER_VIEWER", "ORG_USER_MANAGER",
                    "ORG_SETTINGS_MANAGER"),
    "policy.write": (*_ORG_ADMINS, "ORG_SETTINGS_MANAGER"),
    "policy.delete": (*_ORG_ADMINS, "ORG_SETTINGS_MANAGER"),
})

# Groups are ours, not ZITADEL's: whoever may manage users may manage their groups.
PERMISSIONS["group.read"] = PERMISSIONS["user.read"]
PERMISSIONS["group.write"] = PERMISSIONS["user.write"]
PERMISSIONS["group.delete"] = PERMISSIONS["user.delete"]

# Roles valid in each scope: instance roles start with IAM_, org roles with ORG_ (or PROJECT_ for
# project-level grants an org can hold).
IAM_ROLES = sorted({r for roles in PERMISSIONS.values() for r in roles if r.startswith("IAM_")})
ORG_ROLES = sorted({r for roles in PERMISSIONS.values() for r in roles if not r.startswith("IAM_")})


def has_permission(roles_by_scope, org_id, permission):
    """True if the roles held instance-wide or in org_id grant permission (AUTHENTICATED: always)."""
    if permission == AUTHENTICATED:
        return True
    allowed = PERMISSIONS[permission]
    held = list(roles_by_scope.get(IAM_SCOPE, ())) + list(roles_by_scope.get(org_id, ()))
    return any(role in allowed for role in held)
