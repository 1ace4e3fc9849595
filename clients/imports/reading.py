"""Read an uploaded spreadsheet (CSV) into rows of the New client page's fields.

Headings are matched by their words, whatever their case and punctuation ("First
Name", "first_name", "Given name"); a column that is no client field is listed as
ignored, never guessed. The file must name the first and last name (or one "Name"
column, read as the search box reads it). Text is read as UTF-8, or as Windows-1252
when it is not (what older spreadsheets save).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from clients.duplicates import fields_from_search

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
NAME_COLUMN = "name"  # one column with the whole name

# The New client page's fields, and the headings other systems give them.
HEADINGS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "first", "given name", "forename", "firstname"),
    "last_name": ("last name", "last", "surname", "family name", "lastname"),
    NAME_COLUMN: ("name", "full name", "client name", "client", "patient name"),
    "preferred_name": ("preferred name", "nickname", "goes by"),
    "pronouns": ("pronouns",),
    "date_of_birth": (
        "date of birth",
        "dob",
        "birth date",
        "birthdate",
        "birthday",
        "born",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "telephone",
        "home phone",
    ),
    "email": ("email", "e mail", "email address", "e mail address"),
    "email_reminders": (
        "email reminders",
        "reminders",
        "send reminders",
        "email opt in",
    ),
    "address_line1": (
        "address",
        "address 1",
        "address line 1",
        "street",
        "home address",
    ),
    "address_line2": ("address 2", "address line 2", "apartment", "suite"),
    "city": ("city", "town"),
    "state": ("state", "province", "region"),
    "postal_code": ("zip", "zip code", "postal code", "postcode"),
    "workplace_name": ("workplace", "employer"),
    "workplace_address": ("workplace address", "employer address"),
    "emergency_contact_name": ("emergency contact", "emergency contact name"),
    "emergency_contact_phone": ("emergency phone", "emergency contact phone"),
    # Never "notes" or "comments": another system's notes may hold health details,
    # which have no place in the preferences every role reads.
    "preferences": ("preferences", "other preferences", "client preferences"),
}
_BY_HEADING = {words: name for name, known in HEADINGS.items() for words in known}
# "D.O.B." and "E-Mail" read as "d o b" and "e mail": also compared without spaces.
_BY_SQUASHED = {words.replace(" ", ""): name for words, name in _BY_HEADING.items()}
YES = {"yes", "y", "true", "1", "x", "on"}


@dataclass
class ReadFile:
    """The rows of a file, as (row, {field: text}), and how its columns were read."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # heading -> field
    ignored: list[str] = field(default_factory=list)


def heading_words(heading: str) -> str:
    """ "First_Name", "first-name", " FIRST NAME " -> "first name"."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", heading.lower()).split())


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _columns(headings: list[str]) -> tuple[dict[int, str], ReadFile]:
    found = ReadFile()
    by_index: dict[int, str] = {}
    for index, heading in enumerate(headings):
        words = heading_words(heading)
        name = _BY_HEADING.get(words) or _BY_SQUASHED.get(words.replace(" ", ""))
        if name is None or name in by_index.values():
            if heading.strip():
                found.ignored.append(heading.strip())
            continue
        by_index[index] = name
        found.used[heading.strip()] = name
    names = set(by_index.values())
    if not ({"first_name", "last_name"} <= names or NAME_COLUMN in names):
        shown = ", ".join(f'"{h.strip()}"' for h in headings if h.strip()) or "none"
        raise ValidationError(
            "The file needs a first name and a last name column (or one Name "
            f"column) in its first line; its headings are: {shown}."
        )
    return by_index, found


# A cell starting with one of these is a formula to a spreadsheet program; the
# import's own CSV of rows not imported writes such a cell with a ' before it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _unguarded(text: str) -> str:
    """The cell as it was before the ' that kept a spreadsheet from running it."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text


def _values(cells: list[str], by_index: dict[int, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for index, name in by_index.items():
        text = _unguarded(cells[index].strip()) if index < len(cells) else ""
        if name == NAME_COLUMN:
            for part, value in fields_from_search(text).items():
                if part in ("first_name", "last_name"):
                    values.setdefault(part, value)
            continue
        if name == "email_reminders":
            text = "on" if text.lower() in YES else ""
        values[name] = text
    if "email_reminders" not in by_index.values():
        # No column for it: as the New client page starts, reminders on.
        values["email_reminders"] = "on"
    return values


def read_clients_file(content: bytes) -> ReadFile:
    """The rows of an uploaded file; ValidationError with a sentence when it cannot
    be read as a table of clients."""
    if len(content) > MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into "
            "smaller files."
        )
    if b"\x00" in content[:4096]:
        raise ValidationError(
            "This is not a CSV file. Save the spreadsheet as CSV (comma separated "
            "values) and upload that."
        )
    text = _text(content).replace("\x00", "")
    # Strict: a quote left open would otherwise swallow the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text), strict=True)
    try:
        headings = next(reader, None)
        if not headings:
            raise ValidationError("The file is empty.")
        by_index, found = _columns(headings)
        # Numbered as the spreadsheet shows its rows: the headings are row 1.
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(found.rows) >= MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS:,} clients: split it into "
                    "smaller files."
                )
            found.rows.append((row_number, _values(cells, by_index)))
    except csv.Error as error:
        raise ValidationError(
            f"Line {reader.line_num} of the file cannot be read ({error}): check "
            "the quotes on that line."
        ) from error
    if not found.rows:
        raise ValidationError("The file has headings but no clients.")
    return found
