"""Names and identity numbers as the recusal rules compare them (rules.md part C).

Organisation names are matched only when they are *equal* after a fixed
normalisation — Unicode NFKC, all white space removed, full-width and
half-width brackets made the same. Never a substring or a "similar" name: a
wrong exclusion silently changes a grade, so 河北科技大学 and 河北科技大学附属医院
stay different organisations.

Personal identity numbers (证件号码) are used for matching only and are never
shown in full: :func:`mask_id` keeps the last four characters.
"""

from __future__ import annotations

import re
import unicodedata

# Brackets NFKC leaves alone that clerks use for the same thing as ( ): 〔〕 are the official-document
# brackets, ﹙﹚ the small forms. NFKC already turns （） into ( ).
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "﹙": "(", "﹚": ")", "⁽": "(", "⁾": ")", "₍": "(", "₎": ")"})
_SPACE = re.compile(r"\s+")
_MIDDLE_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", "⋅": "·"})


def normalise_org_name(s: object) -> str:
    """An organisation name for equality tests: NFKC, no white space, one kind of round bracket.

    ``normalise_org_name("石家庄康瑞药业（集团） 有限公司") == normalise_org_name("石家庄康瑞药业(集团)有限公司")``.
    """
    if s is None:
        return ""
    text = unicodedata.normalize("NFKC", str(s)).translate(_BRACKETS)
    return _SPACE.sub("", text)


def normalise_person_name(s: object) -> str:
    """A person's name for equality tests: NFKC, no white space, one kind of middle dot (阿依·买买提)."""
    if s is None:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(s)).translate(_MIDDLE_DOTS))


def normalise_id_number(s: object) -> str:
    """An identity number for equality tests: NFKC, no white space, upper case (a trailing x → X)."""
    if s is None:
        return ""
    if isinstance(s, float) and s.is_integer():
        s = int(s)
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(s))).upper()


def mask_id(idno: object) -> str:
    """An identity number with all but its last four characters masked: ``**************123X``.

    Four characters or fewer are masked completely; an empty value gives ``""``.
    """
    text = normalise_id_number(idno)
    if not text:
        return ""
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]
