"""examples/iclr2020.ipynb: committed without outputs, and it runs (nbclient, a real kernel) on the demo
database, showing the acceptance table, a rating histogram and the top papers with their authors' accounts."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO
from tests.demo_db import demo_db
from tests.helpers import rows

NOTEBOOK = REPO / "examples" / "iclr2020.ipynb"


def test_the_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert [(c.outputs, c.execution_count) for c in code] == [([], None)] * len(code)


def _text(output: nbformat.NotebookNode) -> str:
    if output.output_type == "stream":
        return str(output.text)
    return str(output.get("data", {}).get("text/plain", ""))


def test_the_notebook_runs_on_the_demo_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = demo_db(tmp_path_factory)
    monkeypatch.setenv("PAPERHARVEST_DEMO_DB", str(db))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(_text(o) for o in outputs)

    assert f"{len(rows(db, 'SELECT 1 FROM papers'))} papers of iclr2020 in {db}" in text
    for status, presentation, count in rows(
        db, "SELECT status, coalesce(presentation, ''), count(*) FROM papers GROUP BY 1, 2"
    ):
        assert any(status in line and presentation in line and f" {count} " in f"{line} " for line in text.splitlines())
    assert [o for o in outputs if "image/png" in o.get("data", {})]  # the histogram
    title, x = rows(
        db,
        """SELECT title, first_author_x FROM paper_summary WHERE rating_count > 0
           ORDER BY mean_rating DESC, rating_count DESC, forum_id LIMIT 1""",
    )[0]
    assert title[:20] in text
    assert x is None or x[:20] in text
