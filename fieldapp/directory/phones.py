"""Phones people can dial: numbers from any export parsed with phonenumbers (libphonenumber)
into E.164 plus extension ("305-573-4200 x57471", "1-800-FLOWERS", "ext. 12"), shown in the
national format, dialled with `tel:+13055734200;ext=57471`.  Text that is no number is kept
as given and shown as text."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# Numbers written without a country code are read as this country's (the team's).
REGION = "CA"


@dataclass(frozen=True)
class Parsed:
    e164: str | None  # "+19025550101"; None when the text is no phone number
    extension: str | None
    national: str | None  # "(902) 555-0101"


@lru_cache(maxsize=8192)
def parse(text: str, extension: str | None = None, region: str = REGION) -> Parsed:
    """Read one number (its extension from the column, else from the text)."""
    try:
        number = phonenumbers.parse(text or "", region)
    except phonenumbers.NumberParseException:
        return Parsed(None, extension or None, None)
    if not phonenumbers.is_possible_number(number):
        return Parsed(None, extension or None, None)
    ext = (extension or "").strip() or number.extension or None
    number.extension = None
    return Parsed(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ext,
                  phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def tel_url(phone: dict) -> str:
    """tel: link of a phone row: E.164 and ;ext= when the number can be read."""
    digits = "".join(ch for ch in (phone.get("extension") or "") if ch.isdigit())
    parsed = parse(phone.get("number") or "", digits or None)
    if parsed.e164:
        ext = "".join(ch for ch in (parsed.extension or "") if ch.isdigit())
        return f"tel:{parsed.e164}" + (f";ext={ext}" if ext else "")
    number = "".join(ch for ch in (phone.get("number") or "") if ch.isdigit() or ch == "+")
    return f"tel:{number}" + (f";ext={digits}" if digits else "")


def national(phone: dict) -> str:
    """A phone row as people read it: the national format ("(902) 555-0142"); the text as
    given when it is no number that can be dialled."""
    number = phone.get("number") or ""
    digits = "".join(ch for ch in (phone.get("extension") or "") if ch.isdigit())
    parsed = parse(number, digits or None)
    return parsed.national or number
