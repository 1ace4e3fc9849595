"""The fixed tables of the demo clinic's places and people: locations, rooms, staff,
therapists, referring providers and payers. Plain data, drawn from by the seeder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

MAIN = "main"
SECOND = "second"

LOCATIONS: dict[str, dict[str, str]] = {
    MAIN: {
        "name": "Riverside Medical Massage",
        "address_line1": "245 Riverside Drive",
        "address_line2": "Suite 3B",
        "city": "New York",
        "state": "NY",
        "postal_code": "10025",
        "phone": "(212) 555-0142",
        "email": "frontdesk@riverside-massage.example.com",
        "time_zone": "America/New_York",
    },
    SECOND: {
        "name": "Westside Studio",
        "address_line1": "512 West 57th Street",
        "address_line2": "2nd floor",
        "city": "New York",
        "state": "NY",
        "postal_code": "10019",
        "phone": "(212) 555-0187",
        "email": "westside@riverside-massage.example.com",
        "time_zone": "America/New_York",
    },
}

ROOMS: dict[str, tuple[str, ...]] = {
    MAIN: ("Cedar Room", "Maple Room", "Birch Room", "Willow Room"),
    SECOND: ("Studio A", "Studio B"),
}

# (username, first name, last name, email) of the two staff logins without a therapist.
FRONT_DESK_USER = ("frontdesk", "Nadia", "Brooks", "nadia.brooks@example.com")
MANAGER_USER = ("manager", "Grace", "Holloway", "grace.holloway@example.com")


@dataclass(frozen=True)
class Hours:
    weekdays: tuple[int, ...]  # 0 = Monday
    starts_at: time
    ends_at: time
    location: str = MAIN


@dataclass(frozen=True)
class TherapistRow:
    username: str
    first_name: str
    last_name: str
    license_number: str
    license_days_left: int  # counted from the day of seeding
    npi_stem: str  # the first nine NPI digits; "" for a therapist who does not bill
    colour: str
    modalities: tuple[str, ...]  # slugs; swedish and deep-tissue are added to all
    experienced_with: tuple[str, ...]
    bio: str
    hours: tuple[Hours, ...]


T9_17 = (time(9), time(17))
T12_20 = (time(12), time(20))

THERAPISTS: tuple[TherapistRow, ...] = (
    TherapistRow(
        "therapist",
        "Sofia",
        "Martinez",
        "026843",
        540,
        "104729381",
        "#2563eb",
        (
            "trigger-point",
            "myofascial-release",
            "prenatal",
            "manual-lymphatic-drainage",
            "hot-cold-packs",
        ),
        (
            "low back pain",
            "prenatal care",
            "post-operative swelling",
            "tension headache",
        ),
        "Sofia has practised medical massage for twelve years, most of them beside an "
        "orthopaedic practice. She focuses on low back pain, prenatal care and recovery "
        "after surgery.",
        (Hours((0, 1, 2, 3, 4), *T9_17),),
    ),
    TherapistRow(
        "jchen",
        "Jason",
        "Chen",
        "031275",
        47,
        "118364027",
        "#16a34a",
        (
            "sports",
            "cupping",
            "trigger-point",
            "passive-resistive-stretching",
            "hot-cold-packs",
        ),
        ("sports injuries", "hamstring strain", "whiplash"),
        "Former collegiate runner; works with marathoners and weekend athletes on "
        "injury recovery and mobility.",
        (
            Hours((0, 2, 4), *T12_20),
            Hours((1, 3), *T9_17, location=SECOND),
            Hours((5,), time(9), time(13)),
        ),
    ),
    TherapistRow(
        "aokafor",
        "Adaeze",
        "Okafor",
        "029918",
        700,
        "125093846",
        "#db2777",
        (
            "manual-lymphatic-drainage",
            "prenatal",
            "postnatal",
            "palliative",
            "reflexology",
        ),
        ("lymphoedema", "fibromyalgia", "oncology massage", "pregnancy"),
        "Certified in manual lymphatic drainage; experienced with oncology clients and "
        "gentle work for fibromyalgia.",
        (Hours((0, 1, 2, 3), time(8), time(15)), Hours((5,), time(9), time(15))),
    ),
    TherapistRow(
        "mrossi",
        "Marco",
        "Rossi",
        "033402",
        400,
        "",
        "#ea580c",
        (
            "myofascial-release",
            "structural-integration",
            "cross-fibre-friction",
            "gua-sha",
            "sports",
        ),
        ("frozen shoulder", "postural pain", "chronic neck pain"),
        "Structural integration practitioner; likes stubborn postural problems and "
        "frozen shoulders.",
        (
            Hours((0,), time(15), time(20)),
            Hours((1, 3, 4), *T12_20),
            Hours((5,), time(10), time(16)),
        ),
    ),
    TherapistRow(
        "ekowalski",
        "Emily",
        "Kowalski",
        "030561",
        300,
        "137820594",
        "#7c3aed",
        (
            "trigger-point",
            "chair-massage",
            "spot-work",
            "myofascial-release",
            "aromatherapy",
        ),
        ("TMJ", "carpal tunnel", "desk-work strain"),
        "Runs the workplace chair-massage programme and treats jaw and wrist problems "
        "in the clinic.",
        (Hours((0, 2, 4), time(9), time(15)), Hours((1, 3), *T12_20)),
    ),
    TherapistRow(
        "dthompson",
        "Daniel",
        "Thompson",
        "028137",
        820,
        "",
        "#0891b2",
        (
            "sports",
            "cupping",
            "cross-fibre-friction",
            "trigger-point",
            "hot-cold-packs",
        ),
        ("osteoarthritis", "muscle spasm", "sports injuries"),
        "Trained in sports and orthopaedic massage; treats knee and back problems.",
        (Hours((0, 1, 2, 4), time(13), time(20)), Hours((5,), time(9), time(13))),
    ),
)


@dataclass(frozen=True)
class ProviderRow:
    name: str
    credentials: str
    npi_stem: str
    practice: str
    phone: str
    fax: str
    kind: str  # which referrals this provider writes (matches Scenario.referred_by)


PROVIDERS: tuple[ProviderRow, ...] = (
    ProviderRow(
        "Laura Bennett",
        "MD",
        "162839405",
        "Upper West Side Family Medicine",
        "(212) 555-0111",
        "(212) 555-0112",
        "primary",
    ),
    ProviderRow(
        "Michael Osei",
        "DO",
        "174920386",
        "Hudson Orthopaedic Associates",
        "(212) 555-0121",
        "(212) 555-0122",
        "ortho",
    ),
    ProviderRow(
        "Rachel Goldberg",
        "MD",
        "183047295",
        "Manhattan Neurology Group",
        "(212) 555-0131",
        "(212) 555-0132",
        "neuro",
    ),
    ProviderRow(
        "Kevin Park",
        "DC",
        "190284736",
        "Columbus Avenue Chiropractic",
        "(646) 555-0141",
        "(646) 555-0142",
        "chiro",
    ),
    ProviderRow(
        "Priya Natarajan",
        "MD",
        "112938475",
        "Riverside Physical Medicine & Rehab",
        "(212) 555-0151",
        "(212) 555-0152",
        "physiatry",
    ),
    ProviderRow(
        "Thomas Reilly",
        "DC",
        "146382910",
        "West End Chiropractic & Wellness",
        "(646) 555-0161",
        "(646) 555-0162",
        "chiro",
    ),
    ProviderRow(
        "Hannah Weiss",
        "MD",
        "158203947",
        "Lenox Women's Health",
        "(212) 555-0171",
        "(212) 555-0172",
        "obgyn",
    ),
    ProviderRow(
        "Samuel Adeyemi",
        "DO",
        "139475820",
        "Morningside Sports Medicine",
        "(917) 555-0181",
        "(917) 555-0182",
        "sports",
    ),
)

# (name, phone, billing unit rule or "" for the clinic's, refused CPT codes, member prefix)
PAYERS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("Empire Plan", "(877) 555-0191", "", (), "NYE"),
    ("Aetna", "(800) 555-0192", "", (), "W"),
    ("Oxford Health Plans", "(800) 555-0193", "", (), "OX"),
    ("Workers' Comp NY", "(877) 555-0194", "per_code", ("97140",), "WCB-G"),
    ("NY No-Fault Auto", "(800) 555-0195", "", (), "NF"),
)
WORKERS_COMP = "Workers' Comp NY"
NO_FAULT = "NY No-Fault Auto"
HEALTH_PLANS = ("Empire Plan", "Aetna", "Oxford Health Plans")
