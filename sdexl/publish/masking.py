"""Masking CPR-like numbers in free text before it leaves sdexl.

Municipalities are told never to write CPR numbers, but free text is free: a
"010190-1234" in a comment must not reach the master or the data set.
"""

from __future__ import annotations

from sdexl.privacy import CPR_MASK as MASK
from sdexl.privacy import mask_cpr

__all__ = ["MASK", "mask_cpr"]
