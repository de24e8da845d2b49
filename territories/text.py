"""Text shared by imports, search and pages: names normalised (accent-, case- and
punctuation-insensitive), numbers written the French way."""

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """'Saint-Étienne-du-Rouvray' → 'saint etienne du rouvray'; 'L'Haÿ-les-Roses' → 'l hay les roses'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_only = ascii_only.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub(" ", ascii_only.lower()).strip()


def fr_number(value, decimals: int = 0, empty: str = "—") -> str:
    """``1234.5`` → ``"1\u00a0234,50"`` (decimals=2): what ``floatformat`` / ``intcomma`` print in
    French (half up, no-break space between thousands), without their locale lookups per cell."""
    if value is None or value == "" or value != value:  # None, blank, NaN
        return empty
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    if rounded == 0:
        rounded = abs(rounded)  # never « -0,00 »
    return f"{rounded:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
