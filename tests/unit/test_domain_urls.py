"""mask_url: one rule for the store's URL, a SQL source's URL and ``config show``, whatever
form the password takes (user info, query string, keyword DSN, ODBC, percent-encoded)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from prevoir.domain.urls import mask_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:secret@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("mysql://:pw@h/db", "mysql://:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h:5432/db", "postgresql://h:5432/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite:///rel/x.db?mode=ro&uri=true", "sqlite:///rel/x.db?mode=ro&uri=true"),
        ("not a url", "not a url"),
        ("http://mlflow:5000", "http://mlflow:5000"),
    ],
)
def test_password_is_hidden_and_the_rest_kept(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # "@" inside the password, unescaped: hidden up to the last "@"
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql+psycopg://u:a@b@c@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("mysql+pymysql://root:r@@t@10.0.0.1/db", "mysql+pymysql://root:***@10.0.0.1/db"),
        # "@" in the user name (Azure style)
        ("postgresql://bob@srv:hunter2@srv.example/db", "postgresql://bob@srv:***@srv.example/db"),
        # "/", "?" or ":" in the password
        ("postgresql://u:a/b?c:d@h/db", "postgresql://u:***@h/db"),
        # the password in the query string
        ("postgresql://u@h/db?password=hunter2", "postgresql://u@h/db?password=***"),
        ("postgresql://h/db?sslmode=require&password=hunter2&x=1", None),
        ("mysql+pymysql://u@h/db?passwd=hunter2", "mysql+pymysql://u@h/db?passwd=***"),
        ("postgresql://h/db?PASSWORD=hunter2", "postgresql://h/db?PASSWORD=***"),
        # SQLite with a cipher key
        ("sqlite+pysqlcipher://:hunter2@/x.db", "sqlite+pysqlcipher://:***@/x.db"),
        ("sqlite+pysqlcipher:///x.db?key=hunter2&cipher=aes", None),
        # libpq keyword DSN, plain and quoted
        ("host=db user=u password=hunter2 dbname=x", "host=db user=u password=*** dbname=x"),
        ("host=db password = 'hun ter\\'2' dbname=x", "host=db password = *** dbname=x"),
        ('host=db password="hunter2" port=5432', "host=db password=*** port=5432"),
        # ODBC, raw and percent-encoded inside a URL
        ("DRIVER={ODBC};SERVER=h;UID=u;PWD=hunter2;", "DRIVER={ODBC};SERVER=h;UID=u;PWD=***;"),
        ("mssql+pyodbc:///?odbc_connect=DRIVER%3Dx%3BUID%3Du%3BPWD%3Dhunter2%3B", None),
    ],
)
def test_every_password_form_is_hidden(url: str, shown: str | None) -> None:
    masked = mask_url(url)
    assert "hunter2" not in masked and "ss@" not in masked and "b?c:d" not in masked
    assert "ter" not in masked.replace("master", "")
    if shown is not None:
        assert masked == shown


def test_sqlalchemy_url_objects_are_masked_too() -> None:
    url = sa.make_url("postgresql+psycopg://u:secret@h/db")
    assert mask_url(url) == "postgresql+psycopg://u:***@h/db"
    with_query = sa.make_url("postgresql+psycopg://u@h/db?password=secret")
    assert "secret" not in mask_url(with_query)
