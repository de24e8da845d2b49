"""The sealed ballot box of the members' vote.

A ballot is sealed (AES-GCM, a random nonce, padded to a fixed length) with a key derived from the
server's secret, and stored with a random identifier, no author, no timestamp and no reference to an
option. The counters of the options are not touched while the vote is open: the box is opened once,
when the result is proclaimed, and the totals are written in the same transaction that deletes the
sealed ballots. So somebody who reads the database — rows, their versions (``xmin``, dead tuples),
the WAL or a backup — without the server's secret sees who voted and opaque ballots, never a
counter that moves when a given member votes. The threat model is in the README (« Le vote »).
"""

import hashlib
import hmac
import json
import os
from collections import Counter

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PADDED_LENGTH = 512  # bytes of plaintext: a ballot's length says nothing of its choices
NONCE_BYTES = 12


class BallotBoxError(Exception):
    """A sealed ballot that no key of the server opens (the secret changed without a fallback)."""


def _keys() -> list[bytes]:
    """The current key first, then those of ``SECRET_KEY_FALLBACKS`` (a rotated secret still opens
    the ballots sealed before the rotation)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        hmac.new(s.encode(), b"sante-territoires ballot box v1", hashlib.sha256).digest() for s in secrets
    ]


def seal(vote_id: int, option_ids: list[int]) -> bytes:
    """The sealed form of a ballot: nonce + ciphertext of the padded, sorted option ids. The vote's
    id is authenticated (a ballot cannot be moved to another vote) but not stored inside."""
    plain = json.dumps(sorted(option_ids), separators=(",", ":")).encode()
    if len(plain) >= PADDED_LENGTH:
        raise ValueError("bulletin trop long")
    padded = plain + b" " * (PADDED_LENGTH - len(plain))
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_keys()[0]).encrypt(nonce, padded, str(vote_id).encode())


def unseal(vote_id: int, sealed: bytes) -> list[int]:
    nonce, body = bytes(sealed[:NONCE_BYTES]), bytes(sealed[NONCE_BYTES:])
    for key in _keys():
        try:
            plain = AESGCM(key).decrypt(nonce, body, str(vote_id).encode())
        except InvalidTag:
            continue
        return [int(option_id) for option_id in json.loads(plain.rstrip(b" "))]
    raise BallotBoxError(
        "Un bulletin scellé ne s’ouvre avec aucune clé du serveur : la clé secrète a changé sans "
        "que l’ancienne soit gardée dans SECRET_KEY_FALLBACKS. Le dépouillement est suspendu."
    )


def count(vote_id: int, sealed_ballots) -> Counter:
    """Votes per option id, from every sealed ballot of a vote."""
    totals = Counter()
    for sealed in sealed_ballots:
        totals.update(unseal(vote_id, sealed))
    return totals
