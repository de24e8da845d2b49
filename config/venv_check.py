"""Exit 0 when the virtualenv already holds every dependency of pyproject.toml (with its [dev]
extra) at a version it accepts; 1 otherwise, naming what is missing.

``make`` runs it before ``pip install``: a fresh clone with the venv in place starts at once
instead of reinstalling (a file's date says nothing about what a venv holds).
"""

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def missing(pyproject: Path) -> list[str]:
    from packaging.requirements import Requirement

    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project.get("optional-dependencies", {}).get("dev", [])
    out = []
    for text in wanted:
        requirement = Requirement(text)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            out.append(f"{requirement.name} (absent)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            out.append(f"{requirement.name} {installed} (attendu {requirement.specifier})")
    return out


if __name__ == "__main__":
    try:
        absent = missing(Path(__file__).resolve().parent.parent / "pyproject.toml")
    except ImportError as exc:  # packaging itself absent: let pip decide
        absent = [str(exc)]
    if absent:
        print("Dépendances à installer : " + ", ".join(absent))
        sys.exit(1)
