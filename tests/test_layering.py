"""ledger/ and audio/ are libraries: importing every module in them must not import Flask."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["ledger", "audio"])
def test_package_imports_no_flask(package):
    modules = [package] + [
        f"{package}.{m.name}" for m in pkgutil.walk_packages([str(ROOT / package)]) if not m.name.startswith("_")
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'flask' or m.startswith(('flask.', 'flask_')))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} pulled in {out.stdout.strip()}"
