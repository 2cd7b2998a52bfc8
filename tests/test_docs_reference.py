"""The reference pages say what the code says: docs/commands.md is the commands' docstrings,
docs/configuration.md the environment variables' declarations (tools/reference.py)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools import reference
from tools.variables import variables

ROOT = Path(__file__).resolve().parent.parent


def test_the_generated_pages_match_the_code() -> None:
    differ = reference.stale()
    assert not differ, f"{', '.join(differ)} differ from the code: run {reference.REGENERATE}"


def test_every_variable_the_product_reads_is_in_the_table() -> None:
    """Found by a plain text search, not by the generator's own parsing."""
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name not in ("tests", "tools", "bench")]
    assert {"bridge", "runtime", "plugins"} <= {d.name for d in packages}
    read = set()
    for path in [ROOT / "config.py", *(p for d in packages for p in d.rglob("*.py"))]:
        read |= set(re.findall(r"[\"'](OPENLINES_[A-Z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    assert "OPENLINES_HTTP_PORT" in read
    assert not [name for name in read if f"`{name}`" not in page]


def copy_of_the_code(tmp_path: Path) -> Path:
    for entry in ("config.py", "runtime", "bridge", "plugins", "backends", "journal_store", "crm_store"):
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, tmp_path / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / entry)
    return tmp_path


def test_a_new_variable_appears_with_its_comment_and_default(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    config = root / "config.py"
    config.write_text(config.read_text() + '\nMETRICS = _env("OPENLINES_TEST_ONLY", "7")  # a variable of this test\n')
    found = {v.name: v for v in variables(root)}
    assert found["OPENLINES_TEST_ONLY"].default == "7"
    assert found["OPENLINES_TEST_ONLY"].description == "a variable of this test"
    assert found["OPENLINES_HTTP_PORT"].default == "8080"


def test_a_variable_without_a_description_is_refused(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    (root / "runtime" / "extra.py").write_text('import os\n\nTOKEN = os.environ.get("OPENLINES_UNSAID", "")\n')
    with pytest.raises(ValueError, match=r"OPENLINES_UNSAID \(runtime/extra.py:3\)"):
        variables(root)


def test_the_check_fails_on_a_changed_page_and_names_the_command(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("screenshots"))
    assert reference.main(["--check"], root=tmp_path) == 0
    page = tmp_path / "docs" / "commands.md"
    page.write_text(page.read_text(encoding="utf-8").replace("!answer", "!answr", 1), encoding="utf-8")
    assert reference.main(["--check"], root=tmp_path) == 1
    assert "docs/commands.md differs from the code: run .venv/bin/python -m tools.reference" in capsys.readouterr().err


def anchors(page: Path) -> set[str]:
    """The #fragments GitHub gives a page's headings."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_every_link_in_the_docs_leads_somewhere() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        for link in re.findall(r"\]\(([^)\s]+)\)", text):
            if link.startswith(("http://", "https://")):
                continue
            path, _, fragment = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists() or (fragment and target.suffix == ".md" and fragment not in anchors(target)):
                broken.append(f"{page.relative_to(ROOT)} → {link}")
    assert not broken


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150
