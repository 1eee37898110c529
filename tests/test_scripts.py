"""scripts/test.sh waits for the package manager's lock instead of failing (with a stand-in
apt-get on PATH that fails as a held lock makes the real one fail)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_APT_GET = """#!/usr/bin/env bash
# fails like apt-get facing a held lock, $FAILS times, then succeeds; logs its arguments
count=$(cat "$STATE" 2>/dev/null || echo 0)
echo "$*" >> "$STATE.args"
if [ "$count" -lt "$FAILS" ]; then
  echo $((count + 1)) > "$STATE"
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
echo "E: $FINAL" >&2
[ -z "$FINAL" ]
"""


def apt_get(
    tmp_path: Path, *, fails: int, final: str = "", wait: int = 600
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "apt-get"
    fake.write_text(FAKE_APT_GET)
    fake.chmod(0o755)
    env = {
        **os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "STATE": str(tmp_path / "state"),
        "FAILS": str(fails), "FINAL": final, "APT_LOCK_POLL": "0", "APT_LOCK_WAIT": str(wait),
    }  # fmt: skip
    script = f'source "{ROOT}/scripts/apt_get.sh" && apt_get install -y chromium'
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_test_sh_uses_the_waiting_apt_get() -> None:
    text = (ROOT / "scripts" / "test.sh").read_text()
    assert 'source "$ROOT/scripts/apt_get.sh"' in text
    assert "apt_get update && apt_get install -y chromium" in text
    assert "\n  apt-get " not in text


def test_a_held_lock_is_waited_for(tmp_path: Path) -> None:
    done = apt_get(tmp_path, fails=2)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "apt-get install: another install holds the lock; waiting for it\n" * 2
    args = (tmp_path / "state.args").read_text().splitlines()
    assert args == ["-qq -o DPkg::Lock::Timeout=600 install -y chromium"] * 3


def test_other_failures_and_a_lock_held_too_long_still_fail(tmp_path: Path) -> None:
    other = apt_get(tmp_path, fails=0, final="Unable to locate package chromium")
    assert other.returncode == 1
    assert other.stderr == "E: Unable to locate package chromium\n"
    (tmp_path / "state").unlink(missing_ok=True)
    held = apt_get(tmp_path, fails=1000, wait=0)
    assert held.returncode == 1
    assert held.stderr.startswith("E: Could not get lock /var/lib/apt/lists/lock")
