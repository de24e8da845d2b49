"""Coverage: a file of part of France never stands for all of it. Which départements a file covers,
and the refusal of codes the base does not know.
"""

from collections import Counter
from dataclasses import dataclass

from territories.importing.contract import (
    ImportRejected,
    Problem,
)
from territories.models import (
    Commune,
)

# The 101 départements; the collectivités d'outre-mer (975, 977, 978, 98x) have communes in the COG
# but are not départements and are absent from most national files.
DROM = {"971", "972", "973", "974", "976"}


def departement_of(code: str) -> str:
    code = str(code)
    return code[:3] if code.startswith("97") or code.startswith("98") else code[:2]


# Every département code that exists (and the collectivités d'outre-mer of the COG): a commune code
# of another « département » (« 99999 ») is unknown, never « of a département not loaded ».
EXISTING_DEPARTEMENTS = (
    {f"{n:02d}" for n in range(1, 96) if n != 20}
    | {"2A", "2B"}
    | DROM
    | {"975", "977", "978", "984", "986", "987", "988", "989"}
)


def is_departement(code: str) -> bool:
    return len(code) == 2 or code in DROM


def loaded_departements() -> set[str]:
    """Départements (of the 101) holding active communes."""
    codes = Commune.objects.filter(is_active=True).values_list("departement_id", flat=True).distinct()
    return {c for c in codes if is_departement(c)}


@dataclass
class Coverage:
    """The départements a file covers, against those loaded; ``scope`` is None for a national file."""

    loaded: set[str]
    covered: set[str]
    partial: bool

    @property
    def scope(self) -> set[str] | None:
        return self.covered if self.partial else None

    def report(self) -> dict:
        return {
            "couverture": "partielle" if self.partial else "nationale",
            "departements_couverts": len(self.covered),
            "departements_charges": len(self.loaded),
            **({"departements_mis_a_jour": sorted(self.covered)} if self.partial else {}),
        }


def check_coverage(name: str, codes, *, partial: bool, consequence: str = "", uploadable=False) -> Coverage:
    """Compare the départements of the commune ``codes`` of a file with those loaded.

    A file missing loaded départements is refused unless ``partial`` is given; then only the
    départements it covers are updated. The first import (nothing loaded) is national. The refusal
    names the upload page's box only for files that page takes (``uploadable``).
    """
    loaded = loaded_departements()
    in_file = {departement_of(c) for c in codes if c}
    covered = {d for d in in_file if is_departement(d)}
    missing = loaded - covered
    if not loaded or not missing:
        return Coverage(loaded, covered & loaded if loaded else covered, False)
    if not partial:
        shown = ", ".join(sorted(covered & loaded)[:12]) + (" …" if len(covered & loaded) > 12 else "")
        plural = "s" if len(covered & loaded) > 1 else ""
        raise ImportRejected.single(
            name,
            f"ce fichier couvre {len(covered & loaded)} département{plural} sur {len(loaded)}"
            f"{f' ({shown})' if shown else ''} : utilisez --partiel"
            f"{' (case « fichier partiel » du dépôt)' if uploadable else ''} "
            f"pour ne mettre à jour que ceux-ci{consequence}",
        )
    return Coverage(loaded, covered & loaded, True)


def _by_departement(counts: Counter, limit: int = 12) -> str:
    shown = [f"{d} : {n}" for d, n in sorted(counts.items())[:limit]]
    return ", ".join(shown) + (" …" if len(counts) > limit else "")


def split_unknown(codes, *, loaded: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Unmatched commune codes: (unknown to the loaded COG, of an existing département that is not
    loaded). A code of no existing département (« 99999 ») is unknown."""
    loaded = loaded_departements() if loaded is None else loaded
    unknown, outside = [], []
    for code in sorted(set(codes)):
        departement = departement_of(code)
        known_elsewhere = loaded and departement not in loaded and departement in EXISTING_DEPARTEMENTS
        (outside if known_elsewhere else unknown).append(code)
    return unknown, outside


def refuse_unknown(name: str, unknown: list[str], lines: dict | None = None, field: str = "code") -> None:
    """Unknown commune codes refuse the file (``--ignorer-codes-inconnus`` lists them instead)."""
    lines = lines or {}
    problems = [
        Problem(
            name,
            lines.get(code),
            field,
            f"code commune inconnu du COG chargé « {code} » (--ignorer-codes-inconnus pour passer outre "
            "et lister ces codes)",
        )
        for code in unknown[:20]
    ]
    if len(unknown) > 20:
        problems.append(Problem(name, None, field, f"… et {len(unknown) - 20} autres codes inconnus"))
    raise ImportRejected(problems)
