"""Company names made comparable: one normalisation for the linker and the reconciliation service.

"Rue-du-Commerce", "RUE DU COMMERCE S.A.S." and "Rue du Commerce" are one name;
"France Telecom" is "France Télécom" without its accents; "Amazon.com, Inc." is
"Amazon". Legal forms and web suffixes say nothing about which company is meant,
so they are dropped (only at the end of a name, and never down to nothing).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ..saved_queries import normalize_name

#: Legal forms, group words and web suffixes, as they read once punctuation is gone
#: ("S.A." → "s a", "Inc." → "inc"); dropped from the end of a name.
LEGAL_SUFFIXES = tuple(
    sorted(
        {
            "sa", "s a", "sas", "s a s", "sasu", "sarl", "s a r l", "sca", "se", "snc", "eurl",
            "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "l l c", "lp", "llp",
            "ltd", "limited", "plc", "gmbh", "ag", "kg", "nv", "n v", "bv", "b v", "spa", "s p a", "srl",
            "ab", "asa", "oy", "oyj", "as", "a s", "kk", "pty", "pty ltd", "sl", "s l",
            "com", "net", "fr", "de", "co uk",
            "group", "groupe", "holding", "holdings", "the",
        },
        key=len,
        reverse=True,
    )
)
_PUNCTUATION = re.compile(r"[^\w]+", re.UNICODE)
_SUFFIX = re.compile(r"(?:\s+(?:" + "|".join(re.escape(s) for s in LEGAL_SUFFIXES) + r"))+$")
_ARTICLE = re.compile(r"^(?:the|le|la|les|l)\s+")


def fold(name: str) -> str:
    """Case, accents and punctuation folded away: "Rue-du-Commerce" → "rue du commerce"."""
    return " ".join(_PUNCTUATION.sub(" ", normalize_name(name).replace("&", " and ")).replace("_", " ").split())


def key(name: str) -> str:
    """The name that identifies: :func:`fold`, then without a leading article or trailing legal forms."""
    folded = fold(name)
    core = _SUFFIX.sub("", _ARTICLE.sub("", folded)).strip()
    return core or folded


def similarity(a: str, b: str) -> float:
    """0–100: how alike two names are once normalised (100: the same :func:`key`)."""
    ka, kb = key(a), key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 100.0
    if ka.replace(" ", "") == kb.replace(" ", ""):
        return 98.0
    return float(max(fuzz.ratio(ka, kb), 0.95 * fuzz.token_sort_ratio(ka, kb)))
