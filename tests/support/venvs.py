"""Third-party clients in virtual environments of their own.

Compatibility tests run *unmodified* public clients (ricloud, pyicloud, icloudpy,
icloudpd) from PyPI. Each gets its own venv, because their pins clash with cloudtap's
(ricloud-py needs ``click<8``). Venvs are cached under ``.cache/venvs`` and built with uv.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_ROOT = REPO / ".cache" / "venvs"


def _uv() -> str:
    local = Path(sys.executable).parent / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        raise RuntimeError("uv is not installed; run scripts/bootstrap")
    return found


def client_venv(
    name: str, requirements: list[str], build_constraints: list[str] | None = None
) -> Path:
    """Return the venv directory holding ``requirements``, creating it once."""
    spec = "\n".join([*requirements, "--", *(build_constraints or [])])
    digest = hashlib.sha256(spec.encode()).hexdigest()[:10]
    venv = VENV_ROOT / f"{name}-{digest}"
    marker = venv / ".cloudtap-ready"
    VENV_ROOT.mkdir(parents=True, exist_ok=True)
    with open(VENV_ROOT / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return venv
        if venv.exists():
            shutil.rmtree(venv)
        uv = _uv()
        subprocess.run(
            [uv, "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)], check=True
        )
        cmd = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        if build_constraints:
            constraints = venv / "build-constraints.txt"
            constraints.write_text("\n".join(build_constraints) + "\n")
            cmd += ["--build-constraint", str(constraints)]
        subprocess.run([*cmd, *requirements], check=True)
        marker.write_text(spec)
    return venv


def venv_bin(venv: Path, program: str) -> str:
    return str(venv / "bin" / program)
