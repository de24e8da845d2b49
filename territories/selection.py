"""A list of communes typed or pasted by a user (INSEE codes separated by spaces, commas,
semicolons or new lines), read in one linear pass, with a clear message per bad entry."""

import re
from dataclasses import dataclass, field

MAX_COMMUNES = 2000
TOKEN = re.compile(r"[^\s,;]+")
CODE = re.compile(r"^(\d[\dAB]\d{3}|\d{1,5})$", re.IGNORECASE)


@dataclass
class Selection:
    codes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_communes(text: str) -> Selection:
    from territories.importers import CodeResolver
    from territories.models import Commune

    result = Selection()
    resolver = None
    seen = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        for match in TOKEN.finditer(line):
            token = match.group(0).strip().upper()
            if len(token) > 20:
                result.problems.append(f"ligne {number} : « {token[:20]}… » n’est pas un code INSEE")
                continue
            if not CODE.match(token):
                result.problems.append(
                    f"ligne {number} : « {token} » n’est pas un code INSEE (5 caractères, ex. 23096) ; "
                    "pour ajouter une commune par son nom, utilisez la recherche"
                )
                continue
            if resolver is None:
                resolver = CodeResolver.load()
            code = resolver.resolve(token)
            if code is None:
                result.problems.append(f"ligne {number} : code {token} inconnu du COG en vigueur")
                continue
            if code != token.zfill(5):
                result.notes.append(f"{token} remplacé par {code} (commune fusionnée ou code ancien)")
            if code not in seen:
                seen.add(code)
                result.codes.append(code)
    if len(seen) > MAX_COMMUNES:
        result.problems.append(f"{len(seen)} communes : {MAX_COMMUNES} au plus par périmètre")
    arrondissements = dict(
        Commune.objects.filter(code__in=result.codes, kind=Commune.Kind.ARRONDISSEMENT).values_list(
            "code", "parent_id"
        )
    )
    if arrondissements:
        # a perimeter is a set of communes: an arrondissement brings its whole commune
        codes = []
        for code in result.codes:
            parent = arrondissements.get(code)
            if parent:
                result.notes.append(f"{code} est un arrondissement : le périmètre prend la commune {parent}")
                code = parent
            if code not in codes:
                codes.append(code)
        result.codes = codes
    return result
