"""What every layer says about a database URL: its password hidden, its driver's install hint.

The store (``prevoir.storage``) and SQL dataset sources (``prevoir.ingest``) both name URLs
in messages and logs; this module keeps one rule for that, without importing SQLAlchemy.
"""

from __future__ import annotations

import re

__all__ = ["POSTGRES_HINT", "mask_url"]

POSTGRES_HINT = "install the PostgreSQL driver with: pip install 'prevoir[postgres]'"

MASK = "***"

# ``scheme://user:password@host``: the password runs to the *last* "@" (an unescaped "@" in
# a password is common; SQLAlchemy and libpq read it that way too), and a user name may hold
# an "@" (``user@server`` on Azure). When a query string also holds an "@" this hides more
# than the password, never less.
_USERINFO = re.compile(r"(://[^:/?#\s]*:)[^\s]*@")
_SECRET_KEYS = (
    r"password|passwd|pwd|pass|sslpassword|passphrase|secret|secret_key|token|api_key|apikey"
    r"|access_key|private_key|key"
)
# ``?password=…&`` in a query string, ``password=… host=…`` (libpq keyword DSN, the value
# possibly quoted), ``PWD=…;`` (ODBC) and their percent-encoded forms (``PWD%3D…%3B``)
_KEYWORD = re.compile(
    rf"(?i)(?:(?<![A-Za-z0-9_%])|(?<=%3B)|(?<=%26)|(?<=%3F)|(?<=%20))((?:{_SECRET_KEYS})\s*(?:=|%3D)\s*)"
    r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|(?:(?!%3B|%26)[^\s&;#])*)"
)


def mask_url(url: object) -> str:
    """``url`` (a string or a ``sqlalchemy.URL``) with every password in it replaced by
    ``***``: the user-info password, ``password=``-like query or DSN keywords (also quoted,
    ODBC ``PWD=`` and percent-encoded), whatever the scheme."""
    # str() of a sqlalchemy.URL hides the user-info password but not the query's
    text = _USERINFO.sub(rf"\1{MASK}@", str(url))
    return _KEYWORD.sub(lambda m: m.group(1) + MASK if m.group(2) else m.group(0), text)
