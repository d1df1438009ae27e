"""The build hook (the rest of the build is in pyproject.toml): a wheel built from a git checkout records its commit.

It writes vanishing/_build.json into the wheel, never into the checkout: {"commit", "dirty", "built"}. Built from
anywhere else (an sdist, a copy without .git, no git), the wheel has no such file and a certificate says
"not built from a git checkout" (vanishing/provenance.py) instead of guessing.
"""
import datetime
import json
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _git(*args):
    return subprocess.run(["git", "-C", str(HERE), *args], capture_output=True, text=True, timeout=30, check=True).stdout.strip()


class BuildWithCommit(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or not (HERE / ".git").exists():
            return   # an editable install reads git live; outside a checkout there is nothing to record
        try:
            record = {"commit": _git("rev-parse", "HEAD"), "dirty": _git("status", "--porcelain", "--untracked-files=no") != ""}
        except (OSError, subprocess.SubprocessError):
            return
        record["built"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        target = Path(self.build_lib) / "vanishing" / "_build.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record) + "\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithCommit})
