"""The parameters of a planning request, read from a form or a query string: every bad value gets
a French message keyed by its field (shown next to it), and nothing is computed then."""

import dataclasses

from territories.selection import parse_communes

MAX_GPS = 100  # GPs per candidate (an MSP of k)
MAX_PLAN = 500  # GPs of a plan
MAX_CONSULTATIONS = 20_000
THRESHOLDS = {"2.5": 2.5, "4": 4.0}
SCORES = {
    "deficit": "Réduction du déficit (population × écart à 2,5 comblé)",
    "lifted": "Population qui passe au-dessus de 2,5",
    "lifted_fragile": "Population qui passe au-dessus de 4",
    "gain": "Gain moyen d’APL dans le territoire",
}


@dataclasses.dataclass
class Params:
    gps: int = 1
    per_gp: float = 5400.0
    plan: int = 0
    cap: int | None = None
    threshold: str = "2.5"
    score: str = "deficit"
    need: bool = False
    min_population: int = 0
    hosts: bool = False
    pasted: str = ""
    pasted_codes: list[str] = dataclasses.field(default_factory=list)

    @property
    def threshold_value(self) -> float:
        return THRESHOLDS[self.threshold]

    def query(self) -> dict:
        """The query string that reproduces the request (links, exports, API)."""
        out = {"medecins": self.gps, "consultations": f"{self.per_gp:g}", "seuil": self.threshold}
        if self.score != "deficit":
            out["critere"] = self.score
        if self.plan:
            out["plan"] = self.plan
        if self.cap:
            out["plafond"] = self.cap
        if self.need:
            out["besoin"] = 1
        if self.min_population:
            out["population_min"] = self.min_population
        if self.hosts:
            out["avec_cabinet"] = 1
        if self.pasted_codes:
            out["communes"] = " ".join(self.pasted_codes)
        return out


def _integer(data, name, errors, default, low, high, message):
    text = str(data.get(name, "") or "").strip().replace("\u202f", "").replace(" ", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        errors[name] = f"« {text[:20]} » n’est pas un nombre entier."
        return default
    if not low <= value <= high:
        errors[name] = message
        return default
    return value


def parse(data) -> tuple[Params, dict[str, str]]:
    """``data``: a QueryDict or a dict of strings. Returns (params, errors by field name)."""
    errors: dict[str, str] = {}
    p = Params()
    p.gps = _integer(
        data,
        "medecins",
        errors,
        1,
        1,
        MAX_GPS,
        f"Nombre de médecins par commune : entre 1 et {MAX_GPS}.",
    )
    text = (
        str(data.get("consultations", "") or "")
        .strip()
        .replace(",", ".")
        .replace("\u202f", "")
        .replace(" ", "")
    )
    if text:
        try:
            p.per_gp = float(text)
        except ValueError:
            errors["consultations"] = f"« {text[:20]} » n’est pas un nombre."
        else:
            if not 1 <= p.per_gp <= MAX_CONSULTATIONS:
                errors["consultations"] = (
                    f"Activité par médecin : entre 1 et {MAX_CONSULTATIONS:,} consultations par an.".replace(
                        ",", "\u202f"
                    )
                )
                p.per_gp = 5400.0
    p.plan = _integer(
        data,
        "plan",
        errors,
        0,
        0,
        MAX_PLAN,
        f"Plan : entre 0 et {MAX_PLAN} médecins (au-delà, voir le besoin du territoire).",
    )
    p.cap = _integer(
        data, "plafond", errors, None, 1, MAX_GPS, f"Plafond par commune : entre 1 et {MAX_GPS} médecins."
    )
    threshold = str(data.get("seuil", "") or "2.5").strip().replace(",", ".")
    if threshold not in THRESHOLDS:
        errors["seuil"] = "Seuil : 2,5 (sous-dense) ou 4 (fragile)."
    else:
        p.threshold = threshold
    score = str(data.get("critere", "") or "deficit")
    if score not in SCORES:
        errors["critere"] = "Critère de classement inconnu."
    else:
        p.score = score
    p.need = str(data.get("besoin", "")).strip() in ("1", "on", "oui", "true")
    p.min_population = _integer(
        data,
        "population_min",
        errors,
        0,
        0,
        10_000_000,
        "Population minimale : un nombre d’habitants positif.",
    )
    p.hosts = str(data.get("avec_cabinet", "")).strip() in ("1", "on", "oui", "true")
    p.pasted = str(data.get("communes", "") or "")[:20_000]
    if p.pasted.strip():
        selection = parse_communes(p.pasted)
        if selection.problems:
            errors["communes"] = "Liste de communes : " + " ; ".join(selection.problems[:5])
        p.pasted_codes = selection.codes
    return p, errors
