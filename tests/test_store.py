"""The ledger's answers come back as they were stored (one json.loads over all of a submission's values)."""

from __future__ import annotations

import datetime as dt
import json

from sdexl.harvest import run, store


def test_every_stored_value_decodes_as_it_would_alone():
    values = [None, 0, 3, -2.5, 1e21, True, "kvinde", 'et "citat" og \\ og \n ny linje', "æøå – ✓", "",
              "1234567890", dt.date(2022, 10, 1), "[1, 2]", "null", "Autisme + andet"]
    stored = [run._json(v) for v in values] + [None]  # None: a NULL in the value column
    assert store._decode(stored) == [None if s is None else json.loads(s) for s in stored]
    assert store._decode([]) == []


def test_a_decoded_text_never_holds_a_cpr_number():
    stored = [run._json("ring 010203-1234 i morgen")]
    assert store._decode(stored) == [f"ring {run.CPR_MASK} i morgen"]
