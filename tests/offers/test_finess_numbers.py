"""FINESS check digit: Luhn, verified on the real public-hospital file (Corsica: A=1, B=2)."""

import csv

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from offers.finess import finess_problem, luhn_valid, normalize_finess, validate_finess

HOSPITALS = settings.FIXTURES_DIR / "offers" / "finess_centres_hospitaliers_2023.csv"


def test_luhn_holds_on_every_real_number_of_the_hospital_file():
    with open(HOSPITALS, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1473
    numbers = {normalize_finess(r[c]) for r in rows for c in ("nofinesset", "nofinessej")}
    assert {n for n in numbers if finess_problem(n)} == set()
    corsica = {n for n in numbers if n[:2] in ("2A", "2B")}
    assert len(corsica) == 21
    # Corsican numbers only validate with A → 1, B → 2 (not 0 as one might guess).
    assert not all(luhn_valid(n.replace("2A", "20").replace("2B", "20")) for n in corsica)


@pytest.mark.parametrize("number", ["230000820", "480000017", "2A0000212", "2B0000012"])
def test_real_numbers_are_valid(number):
    assert finess_problem(number) is None
    validate_finess(number)


@pytest.mark.parametrize(
    "number,reason",
    [("230000821", "clé"), ("23000082", "mal formé"), ("2C0000212", "mal formé"), ("", "mal formé")],
)
def test_invalid_numbers_are_explained(number, reason):
    assert reason in finess_problem(number)
    if number:
        with pytest.raises(ValidationError):
            validate_finess(number)


def test_spreadsheet_floats_are_repaired():
    assert normalize_finess("850009010.0") == "850009010"
    assert normalize_finess("10000024") == "010000024"
