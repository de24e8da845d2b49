"""Name normalisation shared by imports and search: accent-, case- and punctuation-insensitive."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """'Saint-Étienne-du-Rouvray' → 'saint etienne du rouvray'; 'L'Haÿ-les-Roses' → 'l hay les roses'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_only = ascii_only.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub(" ", ascii_only.lower()).strip()
