"""One function decides "likely the same person": `client_duplicates`.

Registration (the chart's "New client" page, the booking page's quick form) calls it
before creating a record, and a future import must call it too. A client is likely
the same person when they share the birth date and have a similar name, or the same
phone number (digits only, a leading US country code 1 ignored), or the same email
address (case ignored). The database narrows first, by indexed columns (birth date,
the phone's stored digits, lower(email)), so the names are compared only among the
few clients born that day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher

from django.db.models import F, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from clients.models import Client

# Names the desk hears for the same person (both directions are looked up).
NICKNAMES: dict[str, set[str]] = {
    "alexander": {"alex", "xander", "sasha"},
    "alexandra": {"alex", "sandra", "sasha", "lexi"},
    "andrew": {"andy", "drew"},
    "anthony": {"tony"},
    "barbara": {"barb", "barbie"},
    "benjamin": {"ben", "benny"},
    "catherine": {"cathy", "kate", "katie", "cat"},
    "charles": {"charlie", "chuck", "chas"},
    "christopher": {"chris", "topher"},
    "christine": {"chris", "chrissy", "tina"},
    "daniel": {"dan", "danny"},
    "david": {"dave", "davey"},
    "deborah": {"deb", "debbie"},
    "edward": {"ed", "eddie", "ted", "ned"},
    "elizabeth": {"liz", "beth", "betty", "eliza", "lizzie", "libby"},
    "frances": {"fran", "frankie"},
    "francis": {"frank", "fran"},
    "gregory": {"greg"},
    "jacob": {"jake"},
    "james": {"jim", "jimmy", "jamie"},
    "jennifer": {"jen", "jenny"},
    "john": {"jack", "johnny", "jon"},
    "jonathan": {"jon", "jonny", "nathan"},
    "joseph": {"joe", "joey"},
    "joshua": {"josh"},
    "katherine": {"kathy", "kate", "katie", "kat"},
    "kimberly": {"kim"},
    "margaret": {"maggie", "meg", "peggy", "marge", "greta"},
    "matthew": {"matt"},
    "michael": {"mike", "mikey", "mick"},
    "nicholas": {"nick", "nicky"},
    "patricia": {"pat", "patty", "trish", "tricia"},
    "patrick": {"pat", "paddy"},
    "rebecca": {"becky", "becca"},
    "richard": {"rick", "ricky", "dick", "rich"},
    "robert": {"rob", "bob", "bobby", "robbie", "bert"},
    "samantha": {"sam", "sammy"},
    "samuel": {"sam", "sammy"},
    "stephen": {"steve"},
    "steven": {"steve"},
    "susan": {"sue", "susie"},
    "theodore": {"ted", "teddy", "theo"},
    "thomas": {"tom", "tommy"},
    "timothy": {"tim", "timmy"},
    "victoria": {"vicky", "tori"},
    "william": {"will", "bill", "billy", "willy", "liam"},
}
_NICKNAME_GROUPS: dict[str, set[str]] = {}
for _formal, _short in NICKNAMES.items():
    for _name in {_formal, *_short}:
        _NICKNAME_GROUPS.setdefault(_name, set()).update({_formal, *_short})

NAME_RATIO = 0.8  # "Jon" / "John", "Katherine" / "Catherine", "Smyth" / "Smith"
MIN_PREFIX = 3  # "Alex" for "Alexander", never "Al" for anything
MAX_MATCHES = 10


def normalise_name(value: str) -> str:
    """Lower case, accents dropped, spaces, hyphens, apostrophes and dots removed:
    "José-Luis O'Brien" and "jose luis obrien" read the same."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", plain.casefold())


def _parts(value: str) -> set[str]:
    """The words of a name part, normalised ("Garcia-Lopez" -> garcia, lopez)."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return {p for p in re.split(r"[\W_]+", plain.casefold()) if p}


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _first_names_match(a: str, b: str) -> bool:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return False
    if na == nb or _ratio(na, nb) >= NAME_RATIO:
        return True
    if min(len(na), len(nb)) >= MIN_PREFIX and (na.startswith(nb) or nb.startswith(na)):
        return True
    words_a, words_b = _parts(a), _parts(b)
    # "Mary Ann" and "Mary": a shared given name of some length.
    if any(len(w) >= MIN_PREFIX for w in words_a & words_b):
        return True
    return any(wb in _NICKNAME_GROUPS.get(wa, ()) for wa in words_a for wb in words_b)


def _last_names_match(a: str, b: str) -> bool:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return False
    if na == nb or _ratio(na, nb) >= NAME_RATIO:
        return True
    # "Garcia-Lopez" and "Garcia": one of a double-barrelled name.
    shared = _parts(a) & _parts(b)
    return any(len(w) >= MIN_PREFIX for w in shared)


def names_similar(
    first_a: str, last_a: str, first_b: str, last_b: str, *, preferred_b: str = ""
) -> bool:
    """Whether two names likely belong to one person (given the same birth date).

    Similar: the same after normalising; close spellings (a typo, an accent); the
    first and last names swapped; a nickname or a shortening of the first name with
    the same last name ("Bob" for "Robert", "Alex" for "Alexander", the
    `preferred_b` name the record already holds).
    """
    whole_a = normalise_name(first_a + last_a)
    whole_b = normalise_name(first_b + last_b)
    if not whole_a or not whole_b:
        return False
    if whole_a == whole_b or whole_a == normalise_name(last_b + first_b):
        return True
    if _last_names_match(last_a, last_b) and (
        _first_names_match(first_a, first_b)
        or (preferred_b and _first_names_match(first_a, preferred_b))
    ):
        return True
    # Swapped, with a typo on either side.
    return _last_names_match(last_a, first_b) and _first_names_match(first_a, last_b)


def phone_key(value: str) -> str:
    """The digits that identify a phone number: formatting and a leading country
    code 1 on an 11-digit number dropped ("+1 (518) 555-0101" -> "5185550101")."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits


MIN_PHONE_KEY = 7  # fewer digits than a local number identify nobody


@dataclass
class DuplicateMatch:
    """An existing client likely the same as the one being registered, and why."""

    client: Client
    reasons: list[str] = field(default_factory=list)
    last_visit: datetime | None = None

    @property
    def archived(self) -> bool:
        return self.client.is_archived

    @property
    def why(self) -> str:
        return ", ".join(self.reasons)


def client_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    phone: str = "",
    email: str = "",
    exclude_pk: int | None = None,
    now: datetime | None = None,
) -> list[DuplicateMatch]:
    """The existing clients (archived ones too, marked so) likely the same person.

    Two queries, however many clients there are: one narrows by the indexed birth
    date, phone digits and lower(email) and reads the candidates with their last
    visit; the names are then compared here among those few.
    """
    narrow = Q()
    if date_of_birth is not None:
        narrow |= Q(date_of_birth=date_of_birth)
    key = phone_key(phone)
    if len(key) >= MIN_PHONE_KEY:
        narrow |= Q(phone_digits__in=[key, f"1{key}"])
    email_key = (email or "").strip().lower()
    if email_key:
        narrow |= Q(email_lower=email_key)
    if not narrow:
        return []
    # The appointments relation is the sessions app's (above this one): its reverse
    # name and the model's own status lists are all this module needs.
    visits = Client._meta.get_field("appointments").related_model
    held = Q(appointments__starts_at__lte=now or timezone.now()) & ~Q(
        appointments__status__in=getattr(visits, "NON_BLOCKING_STATUSES", ())
    )
    candidates = (
        Client.objects.annotate(email_lower=Lower("email"))
        .filter(narrow)
        .annotate(last_visit=Max("appointments__starts_at", filter=held))
        # Active records first (PostgreSQL sorts NULLs last by default), so a cut
        # at 200 candidates never drops an active match for archived ones.
        .order_by(
            F("archived_at").asc(nulls_first=True), "last_name", "first_name", "pk"
        )
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    matches: list[DuplicateMatch] = []
    for candidate in candidates[:200]:
        reasons = []
        if (
            date_of_birth is not None
            and candidate.date_of_birth == date_of_birth
            and names_similar(
                first_name,
                last_name,
                candidate.first_name,
                candidate.last_name,
                preferred_b=candidate.preferred_name,
            )
        ):
            reasons.append("same birth date and a similar name")
        if len(key) >= MIN_PHONE_KEY and phone_key(candidate.phone) == key:
            reasons.append("same phone")
        if email_key and candidate.email.strip().lower() == email_key:
            reasons.append("same email")
        if reasons:
            matches.append(
                DuplicateMatch(
                    client=candidate,
                    reasons=reasons,
                    last_visit=getattr(candidate, "last_visit", None),
                )
            )
    # The strongest evidence first; active records before archived ones.
    matches.sort(key=lambda m: (m.archived, -len(m.reasons)))
    return matches[:MAX_MATCHES]


def mask_phone(value: str) -> str:
    """Only the last 4 digits: enough to ask "is this your number ending 0101?"."""
    digits = re.sub(r"\D", "", value or "")
    return f"••• ••• {digits[-4:]}" if len(digits) >= 4 else ""


def mask_email(value: str) -> str:
    """The first letter and the domain: "j•••@example.org"."""
    local, at, domain = (value or "").partition("@")
    if not at:
        return ""
    return f"{local[:1]}•••@{domain}"


_DATE_TYPED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{1,2})/(\d{1,2})/(\d{4})$")


def fields_from_search(query: str) -> dict[str, str]:
    """What a search for a client says about a new one: the new-client fields.

    "Jane Doe" -> first Jane, last Doe; "Doe, Jane" -> the same; "Mary Ann Smith" ->
    first "Mary Ann", last Smith; one word is taken as the last name (the desk
    searches by surname). An email, a phone number (7+ digits) or a birth date
    (YYYY-MM-DD or MM/DD/YYYY) goes into its own field.
    """
    query = " ".join((query or "").replace("\x00", "").split())[:100]
    if not query:
        return {}
    if "@" in query and " " not in query:
        return {"email": query.lower()}
    match = _DATE_TYPED.match(query)
    if match:
        if match.group(1):
            year, month, day = match.group(1), match.group(2), match.group(3)
        else:
            month, day, year = match.group(4), match.group(5), match.group(6)
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            return {}
        return {"date_of_birth": born.isoformat()}
    if re.fullmatch(r"[\d\s()+.\-]+", query):
        return {"phone": query} if len(re.sub(r"\D", "", query)) >= 7 else {}
    if re.search(r"\d", query):
        return {}
    if "," in query:
        last, _, first = query.partition(",")
        return {"first_name": first.strip()[:80], "last_name": last.strip()[:80]}
    *given, surname = query.split(" ")
    return {"first_name": " ".join(given)[:80], "last_name": surname[:80]}
