"""Regenerate versions/0001_initial.py from store/schema.py (only until the first release ships it).

Usage: python tools/regen_initial_migration.py
"""

import tempfile
from pathlib import Path

from alembic import command

from farmstead.store.engine import create_engine
from farmstead.store.migrations.runner import alembic_config

versions = Path(__file__).resolve().parents[1] / "src/farmstead/store/migrations/versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = create_engine(f"sqlite:///{tmp}/empty.db")
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
generated = next(versions.glob("0001_*.py"))
generated.rename(versions / "0001_initial.py")
print("wrote", versions / "0001_initial.py")
