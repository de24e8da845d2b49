"""What every bench prints first: the date, the commit measured and how busy the machine was (the
development machine has 2 cores shared with other work: a load average above the core count means
the figures were taken on a loaded machine)."""

import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    )
    return out.stdout.strip() + ("+modifications" if dirty.stdout.strip() else "")


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def header(name: str) -> None:
    print(
        f"{name} — {time.strftime('%Y-%m-%d %H:%M %Z')} — commit {commit()} — {os.cpu_count()} cores, "
        f"load average (1 / 5 / 15 min) {load_average()}",
        flush=True,
    )
