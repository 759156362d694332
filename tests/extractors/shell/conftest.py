from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    (tmp_path / "load.sql").write_text("INSERT INTO mart.t SELECT * FROM raw.t;\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.sql").write_text("DELETE FROM mart.t;\n")
    return tmp_path
