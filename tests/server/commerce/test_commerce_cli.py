"""`convo catalog import|stock` and `convo admin token` on the SQLite store of CONVO_DATA_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main


def test_catalog_import_reports_row_errors_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name_en,price,stock\nA-1,Apron,19.999,3\nA-1,Apron again,10,1\n")
    assert main(["catalog", "import", str(bad), "--tenant", "demo"]) == 1
    err = capsys.readouterr().err
    assert "row 1: price: USD has 2 decimals" in err
    assert "row 2: sku: 'A-1' appears twice in the file" in err
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            [{"sku": "A-1", "name": {"en": "Apron", "pt": "Avental"}, "price": 19.5, "stock": 3}]
        )
    )
    assert main(["catalog", "import", str(good), "--tenant", "demo"]) == 0
    assert "1 created, 0 updated, 0 deactivated" in capsys.readouterr().out
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,stock\nA-1,10\nMUG-BLUE,0\n")
    assert main(["catalog", "stock", str(stock), "--tenant", "demo"]) == 0
    assert "2 products updated" in capsys.readouterr().out


def test_catalog_import_refuses_an_unknown_tenant_or_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "import", str(tmp_path / "none.csv"), "--tenant", "demo"]) == 2
    assert main(["catalog", "import", str(tmp_path / "none.csv"), "--tenant", "nobody"]) == 2
    assert "no tenant profile 'nobody'" in capsys.readouterr().err


def test_admin_tokens_are_shown_once_and_listed_without_their_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["admin", "token", "create", "--tenant", "demo", "--label", "ana"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("cvo_") and len(token) > 40
    assert main(["admin", "token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "demo\tana\tactive" in listing and token not in listing
    assert main(["admin", "token", "revoke", "--tenant", "demo", "--label", "ana"]) == 0
    assert "1 token(s) revoked" in capsys.readouterr().out
