"""Imported password hashes: Modular Crypt Format strings that we can verify unchanged.

passlib (the maintained libpass fork) recognises and verifies the formats ZITADEL
imports: bcrypt ($2a$/$2b$/$2y$), argon2 ($argon2i$/$argon2id$), PBKDF2
($pbkdf2$, $pbkdf2-sha256$, $pbkdf2-sha512$), SHA-2 crypt ($5$/$6$) and MD5 crypt ($1$).
"""
from passlib.context import CryptContext

from .errors import InvalidArgument

IMPORTABLE = CryptContext(schemes=["bcrypt", "argon2", "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512",
                                   "sha256_crypt", "sha512_crypt", "md5_crypt"])


def check_hash(encoded):
    """The hash, if it is a format we can verify later; raises ZITADEL's USER-JDk4t otherwise."""
    encoded = (encoded or "").strip()
    try:
        scheme = IMPORTABLE.identify(encoded)
    except ValueError:
        scheme = None
    if scheme is None:
        raise InvalidArgument(
            "Password hash encoding not supported. Check out "
            "https://zitadel.com/docs/concepts/architecture/secrets#hashed-secrets",
            "USER-JDk4t", "Errors.User.Password.NotSupported")
    return encoded


def verify(encoded, password):
    try:
        return IMPORTABLE.verify(password, encoded)
    except ValueError:
        return False
