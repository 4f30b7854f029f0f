"""`farmstead db upgrade` and `farmstead db backup` (docs/operations.md)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from farmstead.testing.live_server import LiveServer


def farmstead(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "farmstead", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_db_upgrade_creates_the_schema_in_a_new_data_dir(tmp_path, isolated_env):
    done = farmstead("db", "upgrade", "--data-dir", str(tmp_path / "data"), env=isolated_env)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "data" / "farmstead.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_db_backup_copies_a_running_servers_store(tmp_path, isolated_env):
    live = LiveServer(tmp_path, embedded_only=True).start()
    try:
        farm_id = live.client().create_farm(displayName="kept")["farmId"]
        copy = tmp_path / "backup.db"
        done = farmstead("db", "backup", str(copy), "--data-dir", str(tmp_path), env=isolated_env)
        assert done.returncode == 0, done.stderr
        again = farmstead("db", "backup", str(copy), "--data-dir", str(tmp_path), env=isolated_env)
        assert again.returncode != 0 and "exists" in again.stderr
    finally:
        live.stop()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT display_name FROM farms WHERE farm_id = ?", (farm_id,)).fetchone() == ("kept",)


def test_db_backup_of_postgresql_points_to_pg_dump(tmp_path, isolated_env):
    done = farmstead("db", "backup", str(tmp_path / "x.db"), "--database-url",
                     "postgresql+psycopg://farmstead:secret@db.example/farmstead", env=isolated_env)
    assert done.returncode != 0
    assert "pg_dump -Fc" in done.stderr and "secret" not in done.stderr
