"""Language: a script-based guess of ko / en / mixed, used where data has no `lang` column."""

from __future__ import annotations


def _is_hangul(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def detect_language(text: str) -> str:
    """Guess the language from the letters: "ko", "en", "mixed", or "other" (no such letters)."""
    hangul = latin = 0
    for char in text:
        if _is_hangul(char):
            hangul += 1
        elif ("a" <= char <= "z") or ("A" <= char <= "Z") or ("\uff21" <= char <= "\uff5a"):
            latin += 1
    letters = hangul + latin
    if letters == 0:
        return "other"
    # Korean copy carries brand names, units and codes in Latin letters; it stays "ko" while
    # Hangul holds most of the letters (a Hangul syllable carries 2-3 Latin letters' worth).
    share = hangul * 2.5 / (hangul * 2.5 + latin)
    if share >= 0.75:
        return "ko"
    if share <= 0.15:
        return "en"
    return "mixed"
