"""`scripts/bootstrap-uv` (used by `make install`, so by make run / make test / .ci/run) on
a Python that refuses `pip install` (PEP 668) and on a plain one.

No network: the "uv" installed is a tiny wheel built here, offered to pip as the only
package there is (`PIP_NO_INDEX`, `PIP_FIND_LINKS`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "bootstrap-uv"
FAKE_UV_VERSION = "0.0.1"

_REFUSING_PYTHON = """#!/bin/sh
# A distribution's python3: `pip install` outside a virtualenv is refused (PEP 668).
echo "$*" >> "{calls}"
case "$*" in
  *"-m pip install"*)
    echo "error: externally-managed-environment" >&2
    exit 1;;
esac
exec "{real}" "$@"
"""


def _marked_system_python() -> str | None:
    """A python3 whose standard library carries the EXTERNALLY-MANAGED marker (Debian 12's)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if not os.access(candidate, os.X_OK):
            continue
        stdlib = subprocess.run(
            [candidate, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if stdlib and (Path(stdlib) / "EXTERNALLY-MANAGED").exists():
            return candidate
    return None


def _fake_uv_wheel(folder: Path) -> None:
    folder.mkdir()
    dist = f"uv-{FAKE_UV_VERSION}.dist-info"
    files = {
        "uv/__init__.py": f"def main():\n    print('uv {FAKE_UV_VERSION}')\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: uv\nVersion: {FAKE_UV_VERSION}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[console_scripts]\nuv = uv:main\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(folder / f"uv-{FAKE_UV_VERSION}-py3-none-any.whl", "w") as wheel:
        for name, text in {**files, f"{dist}/RECORD": record}.items():
            wheel.writestr(name, text)


def _python_for(kind: str, tmp_path: Path) -> tuple[str, Path | None]:
    """(python3 to bootstrap with, file logging its calls when it is the refusing stand-in)."""
    if kind == "plain":
        return sys.executable, None
    marked = _marked_system_python()
    if marked is not None:
        return marked, None
    # No distribution Python on this machine: a python3 that refuses like one.
    calls = tmp_path / "python-calls.log"
    shim = tmp_path / "refusing-python3"
    base = getattr(sys, "_base_executable", sys.executable)
    shim.write_text(_REFUSING_PYTHON.format(calls=calls, real=base))
    shim.chmod(0o755)
    return str(shim), calls


@pytest.mark.parametrize("kind", ["externally-managed", "plain"])
def test_bootstrap_installs_uv_in_its_own_virtualenv(kind: str, tmp_path: Path) -> None:
    python, calls = _python_for(kind, tmp_path)
    if kind == "externally-managed":  # the premise: this Python refuses pip install
        refused = subprocess.run(
            [python, "-m", "pip", "install", "--no-index", "uv"], capture_output=True, text=True
        )
        assert refused.returncode != 0
        assert "externally-managed-environment" in refused.stdout + refused.stderr
    _fake_uv_wheel(tmp_path / "wheels")
    bindir = tmp_path / "bin"  # a PATH without any uv
    bindir.mkdir()
    for tool in ("dirname", "rm"):
        found = shutil.which(tool)
        assert found is not None
        (bindir / tool).symlink_to(found)
    target = tmp_path / "bootstrap-venv"
    env = {
        "PATH": str(bindir),
        "HOME": str(tmp_path),
        "PYTHON": python,
        "UV_BOOTSTRAP_DIR": str(target),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path / "wheels"),
        "PIP_CONFIG_FILE": os.devnull,
    }
    first = subprocess.run(["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    uv = first.stdout.strip()
    assert uv == str(target / "bin" / "uv")
    assert subprocess.run([uv], capture_output=True, text=True).stdout == f"uv {FAKE_UV_VERSION}\n"
    again = subprocess.run(["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert again.stdout.strip() == uv and "installing" not in again.stderr  # installed once
    if calls is not None:
        assert not [c for c in calls.read_text().splitlines() if "pip install" in c]


def test_the_makefile_and_ci_install_uv_only_through_the_bootstrap() -> None:
    """A `pip install uv` into the system Python is what PEP 668 refuses."""
    for path in (REPO / "Makefile", REPO / ".ci" / "run"):
        text = path.read_text()
        assert "-m pip install" not in text, path
    assert "scripts/bootstrap-uv" in (REPO / "Makefile").read_text()
