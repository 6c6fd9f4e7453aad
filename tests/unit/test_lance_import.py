"""`connectors.lance_import`: LanceDB is imported with the validators of its unused REST
client left unbuilt (the start-time saving of `helpdesk ask`), pydantic's defaults are
as they were afterwards, and the embedded database works (the index contract tests run
the whole store on it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pydantic import BaseModel
from pydantic._internal._config import config_defaults
from connectors.lance_import import import_lancedb

lancedb = import_lancedb()
assert import_lancedb() is lancedb
import lance_namespace_urllib3_client.models as rest
print("rest models deferred:", rest.CreateTableRequest.__pydantic_complete__ is False)
print("defaults restored:", config_defaults["defer_build"] is False)

class After(BaseModel):
    x: int

print("later models built:", After.__pydantic_complete__ is True)
request = rest.CreateTableRequest(id=["t"])  # a deferred model still validates on use
print("deferred model usable:", request.id == ["t"])
db = lancedb.connect(sys.argv[1])
db.create_table("t", data=[{"id": 1, "vector": [0.1, 0.2]}])
print("rows:", db.open_table("t").count_rows())
"""


def test_lancedb_is_imported_without_building_its_rest_client(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "rest models deferred: True",
        "defaults restored: True",
        "later models built: True",
        "deferred model usable: True",
        "rows: 1",
    ]
