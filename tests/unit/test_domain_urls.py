"""mask_url: one rule for the store's URL and a SQL source's URL, strings or SQLAlchemy URLs."""

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
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("not a url", "not a url"),
    ],
)
def test_password_is_hidden_and_the_rest_kept(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_sqlalchemy_url_objects_are_masked_too() -> None:
    url = sa.make_url("postgresql+psycopg://u:secret@h/db")
    assert mask_url(url) == "postgresql+psycopg://u:***@h/db"
