"""Masking CPR-like numbers in free text before it leaves sdexl.

Municipalities are told never to write CPR numbers, but free text is free: a
"010190-1234" in a comment must not reach the master or the data set.
"""

from __future__ import annotations

import re

CPR_LIKE = re.compile(r"\b\d{6}-?\d{4}\b")
MASK = "XXXXXX-XXXX"


def mask_cpr(text):
    """``text`` with every CPR-like number replaced; non-text passes through."""
    if not isinstance(text, str):
        return text
    return CPR_LIKE.sub(MASK, text)
