"""`attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) on rendered resources."""
import copy

from .errors import ScimError
from .schemas import ENTERPRISE_SCHEMA, USER_SCHEMA

ALWAYS = {"id", "schemas"}
MAX_NAMES = 100


def _parse(names):
    """[(schema urn or None, attribute, sub-attribute or None)] from a comma-separated list."""
    result = []
    parts = [p.strip() for p in names.split(",") if p.strip()]
    if len(parts) > MAX_NAMES:
        raise ScimError(400, f"at most {MAX_NAMES} attribute names", "invalidValue")
    for part in parts:
        urn = None
        if part.lower().startswith("urn:"):
            if part.lower() in (ENTERPRISE_SCHEMA.lower(), USER_SCHEMA.lower()):
                result.append((part, None, None))
                continue
            urn, _, part = part.rpartition(":")
        attr, _, sub = part.partition(".")
        result.append((urn, attr, sub or None))
    return result


def _key(resource, name):
    return next((k for k in resource if k.lower() == name.lower()), None)


def _is_extension(urn):
    return urn is not None and urn.lower() == ENTERPRISE_SCHEMA.lower()


# (extension schema or None for core, attribute, sub-attribute) with returned "request":
# server-filled values that appear only when their attribute is named in attributes.
REQUEST_ONLY = ((ENTERPRISE_SCHEMA, "manager", "displayName"), (None, "members", "display"))


def _drop_request_only(resource, wanted):
    """resource without the sub-attributes returned only when named; what changes is copied, not the rest."""
    resource = dict(resource)
    for urn, attr, sub in REQUEST_ONLY:
        named = any(a and a.lower() == attr.lower() and (urn is None or _is_extension(u)) for u, a, _ in wanted)
        container = resource.get(urn) if urn else resource
        if named or not isinstance(container, dict) or attr not in container:
            continue
        if urn:
            container = resource[urn] = dict(container)
        value = container[attr]
        if isinstance(value, dict):
            container[attr] = {k: v for k, v in value.items() if k != sub}
        elif isinstance(value, list):
            container[attr] = [{k: v for k, v in e.items() if k != sub} for e in value]
    return resource


def project(resource, attributes=None, excluded=None):
    """Apply attributes (a whitelist) or excludedAttributes (a blacklist) to one resource."""
    if attributes:
        wanted = _parse(attributes)
        result = {k: v for k, v in resource.items() if k in ALWAYS}
        for urn, attr, sub in wanted:
            if attr is None:
                if _is_extension(urn) and ENTERPRISE_SCHEMA in resource:
                    result[ENTERPRISE_SCHEMA] = resource[ENTERPRISE_SCHEMA]
                continue
            source = resource.get(ENTERPRISE_SCHEMA, {}) if _is_extension(urn) else resource
            key = _key(source, attr)
            if key is None:
                continue
            target = result.setdefault(ENTERPRISE_SCHEMA, {}) if _is_extension(urn) else result
            value = source[key]
            if sub is None:
                target[key] = value
            elif isinstance(value, dict):
                sub_key = _key(value, sub)
                if sub_key is not None:
                    target.setdefault(key, {})[sub_key] = value[sub_key]
            elif isinstance(value, list):
                picked = [{sk: e[sk] for sk in e if sk.lower() == sub.lower()} for e in value if isinstance(e, dict)]
                picked = [p for p in picked if p]
                if picked:
                    target[key] = picked
        if ENTERPRISE_SCHEMA in result and ENTERPRISE_SCHEMA not in result.get("schemas", []):
            result["schemas"] = result["schemas"] + [ENTERPRISE_SCHEMA]
        return _drop_request_only(copy.deepcopy(result), wanted)
    # excludedAttributes changes the result in place: it gets a copy of its own
    result = _drop_request_only(copy.deepcopy(resource) if excluded else resource, [])
    if excluded:
        for urn, attr, sub in _parse(excluded):
            if attr is None:
                if _is_extension(urn):
                    result.pop(ENTERPRISE_SCHEMA, None)
                continue
            container = result.get(ENTERPRISE_SCHEMA) if _is_extension(urn) else result
            if not isinstance(container, dict):
                continue
            key = _key(container, attr)
            if key is None or key in ALWAYS:
                continue
            if sub is None:
                container.pop(key)
            elif isinstance(container[key], dict):
                inner = dict(container[key])
                sub_key = _key(inner, sub)
                if sub_key:
                    inner.pop(sub_key)
                container[key] = inner
            elif isinstance(container[key], list):
                container[key] = [{k: v for k, v in e.items() if k.lower() != sub.lower()} for e in container[key]]
    return result

