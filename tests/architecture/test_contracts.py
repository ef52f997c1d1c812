"""The import-linter contracts in pyproject.toml hold today, and each one breaks
when the import it forbids is added (so none of them can pass vacuously)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every package the contracts name (a new app adds itself to root_packages only).
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
    "--no-cache",
]


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=tree, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the project's packages and pyproject.toml to break on purpose."""
    for name in PACKAGES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


def test_it_keeps_every_contract_today(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("file", "line", "contract"),
    [
        ("diagnostics/net/guard.py", "import django.conf", "imports nothing of Django"),
        (
            "diagnostics/net/autodetect/mx.py",
            "from django.core.cache import cache",
            "imports nothing of Django",
        ),
        ("diagnostics/net/runner.py", "from diagnostics import models", "imports nothing of Django"),
        ("accounts/views/entry.py", "from diagnostics.net import imap_probe", "Views never import"),
        ("support/views/queue.py", "import socket", "Views never import the probes"),
        ("review/views.py", "import imaplib", "Views never import the probes"),
        ("live/hub.py", "from diagnostics import models", "Live push knows no app"),
        ("diagnostics/flows.py", "from diagnostics import tasks", "No import cycles"),
        ("diagnostics/net/reasons.py", "from diagnostics.net.errors import kind", "No import cycles"),
        ("diagnostics/net/transcript.py", "from diagnostics.net import steps", "No import cycles"),
        ("diagnostics/net/fixes.py", "from diagnostics.net import smtp_probe", "No import cycles"),
        # Layers: the test fetches a mailbox's secret through core.credentials, never mailauth.
        ("diagnostics/flows.py", "from mailauth import tokens", "Layers run one way"),
        ("accounts/models.py", "from accounts import views", "Layers run one way"),
        ("diagnostics/tasks.py", "from monitoring import checks", "Layers run one way"),
        ("core/crypto.py", "from diagnostics.net import errors", "Layers run one way"),
        ("live/hub.py", "from core import limits", "Layers run one way"),
        ("review/report.py", "from support import flows", "Feature apps do not know each other"),
    ],
)
def test_it_breaks_when_the_forbidden_import_is_added(tree, file, line, contract):
    _append(tree / file, line)
    result = _lint(tree)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(contract in row for row in broken), result.stdout


def test_the_layers_place_every_module_of_every_app():
    """A module left out of the layers contract would be free to import anything."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    placed = {name.strip("() ") for layer in layers["layers"] for name in layer.replace("|", ":").split(":")}
    placed_apps = {name.split(".")[0] for name in placed}
    missing = []
    for app in sorted(placed_apps - {"core", "live", "emailcenter"}):
        for child in sorted((ROOT / app).iterdir()):
            module = f"{app}.{child.stem}"
            is_module = child.suffix == ".py" or (child / "__init__.py").exists()
            if is_module and child.stem != "__init__" and module not in placed:
                missing.append(module)
    assert not missing, f"place these in the layers contract in pyproject.toml: {missing}"
