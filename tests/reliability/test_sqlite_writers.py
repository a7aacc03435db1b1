"""SQLite under concurrent writers: two processes of eight threads each, every transaction
reading before it writes (the pattern SQLite refuses at once with "database is locked" when
the transaction began deferred), all succeed and every row is there."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

from prevoir.storage.store import Store

THREADS, WRITES = 8, 25

WRITER = textwrap.dedent(
    """
    import sys, threading
    import sqlalchemy as sa
    from prevoir.storage.store import Store

    store = Store.open(sys.argv[1])
    errors = []

    def work(thread):
        for write in range(int(sys.argv[4])):
            try:
                with store.write() as conn:
                    seen = conn.execute(sa.text("SELECT count(*) FROM locks")).scalar_one()
                    conn.execute(
                        sa.text(
                            "INSERT INTO locks (name, owner, acquired_at, expires_at) "
                            "VALUES (:name, :seen, 0, 0)"
                        ),
                        {"name": f"{sys.argv[2]}-{thread}-{write}", "seen": str(seen)},
                    )
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(int(sys.argv[3]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(errors), errors[:3])
    """
)


def test_concurrent_writers_of_two_processes_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(url, migrate=True).close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, name, str(THREADS), str(WRITES)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (stdout, stderr) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, stderr
        assert stdout.startswith("0 []"), stdout
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM locks")).scalar_one()
    finally:
        engine.dispose()
    assert stored == 2 * THREADS * WRITES
