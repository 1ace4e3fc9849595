"""The demo's clients: who is special (a flag, a place, a payer), who is referred,
planned, archived or new, and the names, addresses and phrases drawn from.

Everything here is plain data. The seeder draws from these tables with a seeded
random generator, so two runs on an empty database produce the same clinic.
"""

from __future__ import annotations

from dataclasses import dataclass

from massageclinic.choices import BodyRegion as BR


@dataclass(frozen=True)
class Special:
    """A client whose story needs a particular scenario, safety flag or place."""

    scenario: str
    flags: tuple[str, ...] = ()  # Condition slugs
    place: str = "room"
    medications: str = ""
    other_conditions: str = ""
    allergies: str = ""
    implanted_devices: str = ""
    device_region: str = ""
    pregnancy_weeks: int | None = None
    pressure: str | None = None  # the therapist's choice, when not the scenario's
    dvt_cleared: bool = False
    workers_comp: bool = False


SPECIAL_CLIENTS: dict[int, Special] = {
    0: Special("low_back", workers_comp=True),
    2: Special(
        "low_back",
        ("anticoagulants",),
        medications="Warfarin 5 mg daily; metoprolol 25 mg twice daily",
        pressure="moderate",  # a bleeding risk: no firm or deep work
        other_conditions="Atrial fibrillation",
    ),
    5: Special(
        "prenatal",
        ("pregnancy",),
        pregnancy_weeks=24,
        medications="Prenatal vitamin daily",
    ),
    7: Special(
        "neck",
        ("oil-allergy",),
        allergies="Almond and coconut oil (hives); use fragrance-free lotion",
    ),
    9: Special(
        "post_op_knee_right",
        ("recent-surgery",),
        place="home",
        medications="Acetaminophen 500 mg as needed",
    ),
    12: Special(
        "low_back",
        ("dvt-history",),
        dvt_cleared=True,
        other_conditions="DVT of the left calf in 2023, treated with six "
        "months of apixaban",
    ),
    15: Special(
        "tension_headache",
        ("anticoagulants",),
        medications="Apixaban (Eliquis) 5 mg twice daily",
        other_conditions="Pulmonary embolism in 2024",
        pressure="moderate",  # a bleeding risk: no firm or deep work
    ),
    17: Special(
        "neck",
        ("implanted-device",),
        implanted_devices="Pacemaker, left upper chest (2021)",
        device_region=BR.CHEST,
        medications="Lisinopril 10 mg daily",
    ),
    20: Special(
        "low_back",
        ("neuropathy",),
        workers_comp=True,
        medications="Metformin 1000 mg twice daily; gabapentin 300 mg at night",
        other_conditions="Type 2 diabetes since 2015; numbness in both feet",
    ),
    28: Special(
        "prenatal",
        ("pregnancy",),
        pregnancy_weeks=31,
        medications="Prenatal vitamin daily; iron supplement",
    ),
    33: Special("post_op_knee_left", ("recent-surgery",)),
    37: Special(
        "fibromyalgia",
        ("oil-allergy",),
        medications="Duloxetine 60 mg daily",
        allergies="Lavender and other essential oils (rash, wheeze)",
    ),
    41: Special(
        "knee_oa",
        ("anticoagulants",),
        medications="Rivaroxaban (Xarelto) 20 mg daily",
        pressure="moderate",  # a bleeding risk: no firm or deep work
        other_conditions="Atrial fibrillation",
    ),
    44: Special(
        "fibromyalgia", place="home", medications="Pregabalin 75 mg twice daily"
    ),
    48: Special(
        "low_back",
        ("dvt-history",),
        other_conditions="DVT of the left calf two months ago; still on treatment",
        medications="Apixaban (Eliquis) 5 mg twice daily",
    ),
    50: Special("desk_chair", place="workplace"),
    51: Special("desk_chair", place="workplace"),
    55: Special(
        "low_back",
        ("neuropathy", "cancer-treatment"),
        medications="Gabapentin 300 mg three times daily",
        other_conditions="Breast cancer, finished chemotherapy in 2025; "
        "numbness in hands and feet",
    ),
    60: Special(
        "wellness",
        ("implanted-device",),
        implanted_devices="Insulin pump; infusion site on the abdomen",
        device_region=BR.ABDOMEN,
        other_conditions="Type 1 diabetes",
        medications="Insulin via pump",
    ),
    63: Special("knee_oa", place="home", medications="Amlodipine 5 mg daily"),
}

REFERRED = range(0, 40)  # clients 0-39 come with a referral
PLANNED = range(0, 25)  # ... and 0-24 of them have an active treatment plan
IN_SERIES = (0, 1, 3, 4, 6, 8, 10, 13)  # whose visits come from a recurring series
ARCHIVED = (70, 71)
NEW_WITHOUT_INTAKE = range(72, 80)  # registered, intake not filled in yet
FIRST_VISIT_BOOKED = range(72, 78)  # ... of whom these have a first visit booked
NO_EMAIL_REMINDERS = (11, 26, 47, 66)
SECOND_INTAKE_EVERY = 6  # every sixth client has filled in the form twice

WORKPLACE = (
    "Hudson Analytics",
    "200 Park Avenue South, 12th floor, New York, NY 10003",
)

# (first name, last name, sex) - sex only decides who can be pregnant.
CLIENT_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Margaret", "O'Connor", "F"),
    ("David", "Goldstein", "M"),
    ("Aisha", "Rahman", "F"),
    ("Carlos", "Mendoza", "M"),
    ("Jennifer", "Walsh", "F"),
    ("Priya", "Sharma", "F"),
    ("Michael", "Brennan", "M"),
    ("Yuki", "Tanaka", "F"),
    ("Robert", "Fischer", "M"),
    ("Linda", "Castillo", "F"),
    ("James", "Whitaker", "M"),
    ("Fatima", "Diallo", "F"),
    ("Thomas", "Novak", "M"),
    ("Grace", "Kim", "F"),
    ("Anthony", "Russo", "M"),
    ("Elena", "Petrova", "F"),
    ("Kevin", "Murphy", "M"),
    ("Rosa", "Alvarez", "F"),
    ("Daniel", "Levine", "M"),
    ("Hannah", "Schultz", "F"),
    ("Marcus", "Johnson", "M"),
    ("Mei", "Lin", "F"),
    ("Patrick", "Doyle", "M"),
    ("Sarah", "Friedman", "F"),
    ("Omar", "Haddad", "M"),
    ("Nicole", "Baptiste", "F"),
    ("William", "Harper", "M"),
    ("Keisha", "Williams", "F"),
    ("Samantha", "Ortiz", "F"),
    ("Richard", "Abramowitz", "M"),
    ("Lucia", "Romano", "F"),
    ("Brian", "McCarthy", "M"),
    ("Naomi", "Feldman", "F"),
    ("Victor", "Nguyen", "M"),
    ("Catherine", "Dubois", "F"),
    ("Andre", "Jackson", "M"),
    ("Isabel", "Moreno", "F"),
    ("Steven", "Kowalczyk", "M"),
    ("Leah", "Rosenberg", "F"),
    ("George", "Papadopoulos", "M"),
    ("Deborah", "Sullivan", "F"),
    ("Raymond", "Chu", "M"),
    ("Ana", "Ferreira", "F"),
    ("Joseph", "Esposito", "M"),
    ("Monica", "Reyes", "F"),
    ("Christopher", "Lee", "M"),
    ("Tanya", "Ivanova", "F"),
    ("Ahmed", "Khan", "M"),
    ("Rebecca", "Stein", "F"),
    ("Jonathan", "Price", "M"),
    ("Adriana", "Silva", "F"),
    ("Frank", "DeLuca", "M"),
    ("Amara", "Okonkwo", "F"),
    ("Peter", "Lindqvist", "M"),
    ("Julia", "Bauer", "F"),
    ("Hector", "Ramirez", "M"),
    ("Megan", "Gallagher", "F"),
    ("Samuel", "Cohen", "M"),
    ("Ingrid", "Larsen", "F"),
    ("Luis", "Vargas", "M"),
    ("Diane", "Foster", "F"),
    ("Arjun", "Mehta", "M"),
    ("Claire", "Beaumont", "F"),
    ("Eugene", "Park", "M"),
    ("Beatriz", "Santos", "F"),
    ("Martin", "Weber", "M"),
    ("Zoe", "Anderson", "F"),
    ("Ibrahim", "Toure", "M"),
    ("Helen", "Chang", "F"),
    ("Paul", "Kaminski", "M"),
    ("Vanessa", "Morales", "F"),
    ("Gregory", "Hale", "M"),
    ("Nathan", "Bishop", "M"),
    ("Rachel", "Adler", "F"),
    ("Kwame", "Mensah", "M"),
    ("Laura", "Jimenez", "F"),
    ("Dmitri", "Volkov", "M"),
    ("Emma", "Nakamura", "F"),
    ("Howard", "Bloom", "M"),
    ("Olivia", "Grant", "F"),
)

# (street, city, state, postal code)
STREETS: tuple[tuple[str, str, str, str], ...] = (
    ("West 86th Street", "New York", "NY", "10024"),
    ("Amsterdam Avenue", "New York", "NY", "10025"),
    ("Broadway", "New York", "NY", "10027"),
    ("Riverside Drive", "New York", "NY", "10031"),
    ("West End Avenue", "New York", "NY", "10023"),
    ("Columbus Avenue", "New York", "NY", "10025"),
    ("West 72nd Street", "New York", "NY", "10023"),
    ("Convent Avenue", "New York", "NY", "10031"),
    ("30th Avenue", "Astoria", "NY", "11102"),
    ("Grand Concourse", "Bronx", "NY", "10458"),
    ("Court Street", "Brooklyn", "NY", "11201"),
    ("Steinway Street", "Astoria", "NY", "11103"),
)
AREA_CODES = ("212", "646", "917", "718")
# (first name, relation): the emergency contact shares the client's surname.
EMERGENCY_CONTACTS = (
    ("Mark", "husband"),
    ("Ruth", "mother"),
    ("Samir", "brother"),
    ("Elena", "wife"),
    ("Chris", "partner"),
    ("Joan", "sister"),
    ("Kenji", "son"),
    ("Anna", "daughter"),
)
PREFERRED_NAMES = {
    "Margaret": "Maggie",
    "Robert": "Rob",
    "Christopher": "Chris",
    "Samantha": "Sam",
    "Jonathan": "Jon",
    "Catherine": "Cat",
}
PRONOUNS = ("she/her", "he/him", "they/them")
PREFERENCES = (
    "Prefers a quiet session; likes the room warm.",
    "Happy to chat; classical music.",
    "No scented products please.",
    "Extra blanket and a bolster under the knees.",
    "Likes to be told before deeper work starts.",
    "",
)
EVERYDAY_MEDICATIONS = (
    "",
    "",
    "Ibuprofen 400 mg as needed",
    "Levothyroxine 75 mcg daily",
    "Sertraline 50 mg daily",
    "Lisinopril 10 mg daily",
    "Atorvastatin 20 mg daily",
    "Oral contraceptive",
    "Cetirizine 10 mg daily in spring",
)
EVERYDAY_ALLERGIES = ("", "", "", "Penicillin", "Latex", "Shellfish", "Sulfa drugs")
OLD_SURGERIES = (
    ("Appendectomy", "2011-06-14", BR.ABDOMEN),
    ("Caesarean section", "2017-02-03", BR.ABDOMEN),
    ("ACL reconstruction", "2014-09-22", BR.KNEE_LEFT),
    ("Tonsillectomy", "1998-03-10", ""),  # no body region to choose
)

CHANGES_SINCE_LAST = (
    "Felt looser for two days after the last visit.",
    "Slept better the night after treatment.",
    "Pain flared after a long drive on Saturday.",
    "About the same as last time.",
    "Noticeably better; fewer painkillers this week.",
    "Mild soreness the day after, then improved.",
)
HOME_CARE_REPORTS = (
    "Doing the stretches most days.",
    "Forgot the exercises on busy days.",
    "Using heat every evening; stretches twice a day.",
    "Did the exercises daily and kept a diary.",
)
ADVERSE_REACTIONS = ("Mild soreness expected for 24 hours; advised water and heat.",)
CANCEL_REASONS = (
    "Client ill with a cold",
    "Work conflict",
    "Childcare fell through",
    "Car trouble",
    "Rescheduled at the client's request",
    "Family emergency",
)
THERAPIST_CANCEL_REASON = "Therapist unavailable; client offered another time"

# What a referring provider writes under "precautions" for each safety flag.
PRECAUTIONS: dict[str, str] = {
    "anticoagulants": "On anticoagulants: light to moderate pressure only; no deep "
    "tissue, cupping or friction.",
    "pregnancy": "Pregnant: side-lying after the first trimester; no abdominal work.",
    "recent-surgery": "Avoid the incision sites for six weeks after surgery.",
    "dvt-history": "History of DVT: no work on the left calf.",
    "neuropathy": "Reduced sensation: no deep pressure on the feet.",
    "implanted-device": "No pressure over the implanted device.",
    "oil-allergy": "",
}
