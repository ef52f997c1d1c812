"""Settings behave as the environment contract says."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOT = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _boot(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("CREDENTIALS_KEYS", "SECRET_KEY", "DEBUG")}
    base.update({"DJANGO_SETTINGS_MODULE": "emailcenter.settings", "VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run([sys.executable, "-c", BOOT], cwd=ROOT, env=base, capture_output=True, text=True)


def test_production_refuses_to_start_without_credential_keys(tmp_path):
    result = _boot(tmp_path, DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "CREDENTIALS_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _boot(tmp_path, DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_development_generates_a_credentials_key_under_var(tmp_path):
    result = _boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "credentials.key").exists()
    assert oct((tmp_path / "credentials.key").stat().st_mode & 0o777) == "0o600"
