"""What every layer says about a database URL: its password hidden, its driver's install hint.

The store (``prevoir.storage``) and SQL dataset sources (``prevoir.ingest``) both name URLs
in messages and logs; this module keeps one rule for that, without importing SQLAlchemy.
"""

from __future__ import annotations

import re

__all__ = ["POSTGRES_HINT", "mask_url"]

POSTGRES_HINT = "install the PostgreSQL driver with: pip install 'prevoir[postgres]'"

# As SQLAlchemy parses ``scheme://user:password@host``: the password runs to the first "@".
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def mask_url(url: object) -> str:
    """``url`` (a string or a ``sqlalchemy.URL``) with its password replaced by ``***``."""
    # str() of a sqlalchemy.URL already hides the password; a string is masked here.
    return _PASSWORD_IN_URL.sub(r"\1***@", str(url))
