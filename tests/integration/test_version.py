"""ringmq --version: the meson project version, plus the git revision when built from a checkout."""

from __future__ import annotations

import re
import shutil
import subprocess

import broker_process

VERSION_RE = re.compile(r"ringmq (\S+)(?: \(git ([0-9a-f]{7,40})(-dirty)?\))?\n")


def project_version() -> str:
    meson = (broker_process.REPO / "meson.build").read_text()
    return re.search(r"version\s*:\s*'([^']+)'", meson).group(1)


def test_version_prints_project_version_and_revision():
    result = subprocess.run([str(broker_process.ringmq_binary()), "--version"], capture_output=True, timeout=10)
    assert result.returncode == 0, result.stderr
    match = VERSION_RE.fullmatch(result.stdout.decode())
    assert match, f"unexpected --version output: {result.stdout!r}"
    assert match.group(1) == project_version()
    git_dir = subprocess.run(["git", "-C", str(broker_process.REPO), "rev-parse", "--git-dir"],
                             capture_output=True) if shutil.which("git") else None
    if git_dir is not None and git_dir.returncode == 0:
        # Built from this checkout: the revision is one of its commits (perhaps not HEAD any more).
        assert match.group(2), f"no git revision in {result.stdout!r}"
        known = subprocess.run(["git", "-C", str(broker_process.REPO), "cat-file", "-e", f"{match.group(2)}^{{commit}}"],
                               capture_output=True)
        assert known.returncode == 0, f"{match.group(2)} is not a commit of this repository"


def test_version_does_not_start_a_broker():
    # --version exits before the flags are checked or anything is opened: a bad --listen does not matter.
    result = subprocess.run([str(broker_process.ringmq_binary()), "--version", "--listen", "256.0.0.1:1"],
                            capture_output=True, timeout=10)
    assert result.returncode == 0 and result.stdout.startswith(b"ringmq "), (result.stdout, result.stderr)
