"""The fixed tables behind `manage.py seed_demo`: people, places and clinical stories.

Everything here is plain data. The command draws from these tables with a seeded
random generator, so two runs on an empty database produce the same clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from clients.models import IntakeCondition as IC
from massageclinic.choices import BodyRegion as BR
from massageclinic.choices import Pressure

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


@dataclass(frozen=True)
class GoalSpec:
    measure: str  # Goal.Measure value
    description: str
    unit: str = ""
    movement: str = ""
    baseline: float | None = None  # None on a pain goal: the intake's pain level
    target: float | None = None
    baseline_text: str = ""
    target_text: str = ""


def pain_goal(description: str) -> GoalSpec:
    return GoalSpec("pain", description, unit="/10")


@dataclass(frozen=True)
class Scenario:
    """One clinical story: what the client says, what the referral says, how it goes."""

    key: str
    complaint: str
    onset: str
    conditions: tuple[str, ...]
    areas: tuple[str, ...]
    pain: tuple[int, int]
    codes: tuple[str, ...]  # empty: nobody refers this
    diagnosis: str
    modalities: tuple[str, ...]  # slugs, the main technique first
    cpt_codes: tuple[str, ...]
    minutes: int
    pressure: str
    intake_goals: str
    goals: tuple[GoalSpec, ...]
    home_care: str
    subjective: tuple[str, ...]
    findings: tuple[str, ...]
    responses: tuple[str, ...]
    next_focus: tuple[str, ...]
    referred_by: tuple[str, ...] = ()


def _shoulder(side: str, code: str, region: str, arm: str, baseline: float) -> Scenario:
    return Scenario(
        key=f"frozen_shoulder_{side}",
        complaint=f"{side.title()} shoulder stiff and painful; cannot reach overhead",
        onset="Started without an injury about five months ago; painful at night.",
        conditions=(IC.FROZEN_SHOULDER,),
        areas=(region, BR.UPPER_BACK, arm),
        pain=(5, 8),
        codes=(code,),
        diagnosis=f"Adhesive capsulitis of {side} shoulder",
        modalities=("myofascial-release", "trigger-point", "swedish", "hot-cold-packs"),
        cpt_codes=("97140", "97124", "97010"),
        minutes=60,
        pressure=Pressure.MODERATE,
        intake_goals="Reach the top shelf and get dressed without help.",
        goals=(
            GoalSpec(
                "rom",
                f"Improve {side} shoulder flexion",
                "degrees",
                f"{side} shoulder flexion",
                baseline,
                170,
            ),
            GoalSpec(
                "rom",
                f"Improve {side} shoulder abduction",
                "degrees",
                f"{side} shoulder abduction",
                95,
                160,
            ),
            pain_goal("Reduce night pain in the shoulder"),
        ),
        home_care="Pendulum swings 2 minutes, wall finger-walk 10 reps and towel stretch "
        "behind the back, twice daily. Moist heat 10 minutes before stretching.",
        subjective=(
            "Night pain woke her twice this week.",
            "Could reach the kitchen cabinet for the first time in months.",
            "Shoulder sore after physical therapy yesterday.",
            "Dressing is easier; still cannot reach behind the back.",
        ),
        findings=(
            "Capsular pattern: external rotation most limited, then abduction; "
            "subscapularis and pectoralis major tight.",
            "Active flexion about 130 degrees with end-range pain; infraspinatus trigger "
            "points.",
            "Compensatory upper trapezius elevation when raising the arm.",
        ),
        responses=(
            "Flexion improved about 10 degrees after myofascial work; less end-range pain.",
            "Tolerated subscapularis release well with breathing cues.",
            "Less guarding; client let the arm relax for passive movement.",
        ),
        next_focus=(
            "Continue subscapularis and pectoral release; measure flexion and abduction.",
            "Coordinate home stretches with the physical therapist.",
            "Add posterior capsule work.",
        ),
        referred_by=("ortho", "physiatry", "primary"),
    )


def _post_op_knee(side: str, code: str) -> Scenario:
    knee, thigh, leg = {
        "right": (BR.KNEE_RIGHT, BR.THIGH_RIGHT, BR.LOWER_LEG_RIGHT),
        "left": (BR.KNEE_LEFT, BR.THIGH_LEFT, BR.LOWER_LEG_LEFT),
    }[side]
    return Scenario(
        key=f"post_op_knee_{side}",
        complaint=f"Swelling and stiffness after {side} knee arthroscopy",
        onset="Arthroscopic partial meniscectomy; the surgeon approved massage away "
        "from the incisions.",
        conditions=(IC.POST_OPERATIVE, IC.OSTEOARTHRITIS),
        areas=(knee, thigh, leg),
        pain=(4, 6),
        codes=(code,),
        diagnosis=f"Osteoarthritis of {side} knee; status post arthroscopic "
        "partial meniscectomy",
        modalities=("manual-lymphatic-drainage", "swedish", "myofascial-release"),
        cpt_codes=("97140", "97124"),
        minutes=45,
        pressure=Pressure.LIGHT,
        intake_goals="Walk without the cane and get back to climbing stairs.",
        goals=(
            GoalSpec(
                "rom",
                f"Restore {side} knee flexion",
                "degrees",
                f"{side} knee flexion",
                90,
                125,
            ),
            pain_goal("Reduce knee pain with walking"),
        ),
        home_care="Elevate and ice 15 minutes three times daily. Ankle pumps hourly. "
        "Keep doing the surgeon's physical-therapy exercises.",
        subjective=(
            "Swelling goes down overnight and comes back by the evening.",
            "Walked around the block without the cane.",
            "Knee stiff after sitting through a movie.",
            "Less tightness around the kneecap this week.",
        ),
        findings=(
            "Moderate swelling around the knee; incisions healed, not treated.",
            "Quadriceps inhibited; tight hamstrings and calf on the operated side.",
            "Pitting oedema above the ankle reduced since the last visit.",
        ),
        responses=(
            "Visible reduction of swelling after lymphatic drainage; knee bent further.",
            "Client reported the leg felt lighter; no pain during treatment.",
            "Flexion improved about 5 degrees after quadriceps release.",
        ),
        next_focus=(
            "Continue lymphatic drainage; start gentle scar-adjacent myofascial work "
            "after clearance.",
            "Re-measure knee flexion; work the hamstrings.",
            "Reduce frequency as swelling resolves.",
        ),
        referred_by=("ortho",),
    )


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario(
            key="low_back",
            complaint="Low back pain after lifting at work",
            onset="Started in March lifting boxes in the warehouse; worse after long "
            "shifts.",
            conditions=(IC.LOW_BACK_PAIN,),
            areas=(BR.LOWER_BACK, BR.HIP_GLUTE_LEFT, BR.HIP_GLUTE_RIGHT),
            pain=(5, 8),
            codes=("M54.50",),
            diagnosis="Low back pain, unspecified",
            modalities=(
                "deep-tissue",
                "trigger-point",
                "myofascial-release",
                "swedish",
            ),
            cpt_codes=("97124", "97140"),
            minutes=60,
            pressure=Pressure.FIRM,
            intake_goals="Get through a full shift without painkillers.",
            goals=(
                pain_goal("Reduce low back pain"),
                GoalSpec(
                    "text",
                    "Sit through a workday without pain",
                    baseline_text="Stands up every 30 minutes because of pain",
                    target_text="Sits 2 hours at a time with pain under 3/10",
                ),
            ),
            home_care="Knee-to-chest and piriformis stretches twice daily, 30 seconds "
            "each side. Heat 15 minutes in the evening. Lift with hips and knees and "
            "keep the load close.",
            subjective=(
                "Low back tight after a double shift; ache across the belt line.",
                "Sharp pain bending forward to tie shoes this morning.",
                "Back felt looser for three days after the last visit.",
                "Dull ache on the right side, worse after sitting in the car.",
            ),
            findings=(
                "Hypertonic lumbar erectors, right more than left; trigger point in "
                "right quadratus lumborum.",
                "Guarding in the lumbar paraspinals; tender right gluteus medius.",
                "Lumbar flexion limited, fingertips to mid-shin; tight hamstrings.",
            ),
            responses=(
                "Erectors softened; client stood up with less stiffness.",
                "Quadratus lumborum trigger point released; referral pain reduced.",
                "Tolerated firm pressure without guarding.",
            ),
            next_focus=(
                "Continue quadratus lumborum and gluteus medius work; add hip flexors.",
                "Address hamstring tension; reassess lumbar flexion.",
                "Progress to myofascial work on the thoracolumbar fascia.",
            ),
            referred_by=("primary", "ortho", "chiro", "physiatry"),
        ),
        Scenario(
            key="neck",
            complaint="Stiff neck and shoulder pain from long hours at the computer",
            onset="Gradual over the past year since working from home.",
            conditions=(IC.NECK_PAIN,),
            areas=(BR.NECK, BR.UPPER_BACK, BR.SHOULDER_LEFT, BR.SHOULDER_RIGHT),
            pain=(4, 7),
            codes=("M54.2",),
            diagnosis="Cervicalgia",
            modalities=(
                "trigger-point",
                "myofascial-release",
                "swedish",
                "deep-tissue",
            ),
            cpt_codes=("97140", "97124"),
            minutes=60,
            pressure=Pressure.MODERATE,
            intake_goals="Turn my head while driving without pain; fewer headaches.",
            goals=(
                pain_goal("Reduce neck pain"),
                GoalSpec(
                    "rom",
                    "Increase cervical rotation to the left",
                    "degrees",
                    "cervical rotation, left",
                    55,
                    75,
                ),
            ),
            home_care="Chin tucks 10 reps every two hours at the desk. Upper trapezius "
            "and levator scapulae stretch 3 x 30 seconds each side. Raise the monitor "
            "to eye level.",
            subjective=(
                "Neck stiff on waking; a knot under the right shoulder blade.",
                "Turning left to reverse the car is still hard.",
                "Fewer end-of-day headaches this week.",
                "Deadline week; shoulders up by the ears again.",
            ),
            findings=(
                "Trigger points in both upper trapezius and right levator scapulae; "
                "forward head posture.",
                "Left rotation limited with end-range pain; suboccipitals tender.",
                "Rhomboids taut; pectoralis minor shortened on both sides.",
            ),
            responses=(
                "Trigger points released with less referral to the temple; rotation "
                "improved about 10 degrees.",
                "Client said the neck felt free; no soreness during treatment.",
                "Partial release of levator scapulae; still tender at the attachment.",
            ),
            next_focus=(
                "Pectoral release to open the chest; continue levator work.",
                "Recheck left rotation; suboccipital release.",
                "Add scapular stabiliser cues.",
            ),
            referred_by=("primary", "chiro", "physiatry"),
        ),
        Scenario(
            key="tension_headache",
            complaint="Tension headaches three to four times a week",
            onset="Worse since a job change in the spring; starts at the back of the "
            "head by mid-afternoon.",
            conditions=(IC.HEADACHES, IC.NECK_PAIN),
            areas=(BR.HEAD, BR.NECK, BR.UPPER_BACK),
            pain=(5, 7),
            codes=("G44.209",),
            diagnosis="Tension-type headache, unspecified, not intractable",
            modalities=("trigger-point", "myofascial-release", "swedish"),
            cpt_codes=("97140", "97124"),
            minutes=60,
            pressure=Pressure.MODERATE,
            intake_goals="Fewer headaches so I can stop taking ibuprofen every day.",
            goals=(
                GoalSpec(
                    "function", "Fewer headache days", "days/week", baseline=4, target=1
                ),
                pain_goal("Reduce headache intensity"),
            ),
            home_care="Suboccipital release with two tennis balls in a sock, 5 minutes "
            "daily. Screen break every hour. Keep the headache diary.",
            subjective=(
                "Two headaches since the last visit, both after long meetings.",
                "Headache diary shows three days this week, milder ones.",
                "Woke with a headache after a poor night's sleep.",
                "No headache for five days, the first time in months.",
            ),
            findings=(
                "Suboccipitals and upper trapezius hypertonic; SCM trigger points "
                "refer to the temple.",
                "Temporalis tender on both sides; jaw clenching noted.",
                "Forward head posture; upper cervical flexion reduced.",
            ),
            responses=(
                "Headache eased from 5/10 to 2/10 by the end of the session.",
                "Client relaxed well; no referral pain on re-palpation.",
                "SCM trigger points partly released; less referral to the temple.",
            ),
            next_focus=(
                "Continue suboccipital and SCM work; add temporalis.",
                "Review the headache diary; progress home care.",
                "Address thoracic stiffness behind the posture.",
            ),
            referred_by=("primary", "neuro"),
        ),
        _shoulder("right", "M75.01", BR.SHOULDER_RIGHT, BR.ARM_RIGHT, 120),
        _shoulder("left", "M75.02", BR.SHOULDER_LEFT, BR.ARM_LEFT, 110),
        Scenario(
            key="whiplash",
            complaint="Neck pain and stiffness since a rear-end car accident",
            onset="Rear-ended on the FDR Drive; seen in the emergency room, no fracture.",
            conditions=(IC.WHIPLASH, IC.NECK_PAIN, IC.HEADACHES),
            areas=(
                BR.NECK,
                BR.UPPER_BACK,
                BR.SHOULDER_LEFT,
                BR.SHOULDER_RIGHT,
                BR.HEAD,
            ),
            pain=(6, 8),
            codes=("S13.4XXA", "M54.2"),
            diagnosis="Sprain of ligaments of cervical spine (whiplash), initial "
            "encounter; cervicalgia",
            modalities=(
                "swedish",
                "myofascial-release",
                "trigger-point",
                "manual-lymphatic-drainage",
            ),
            cpt_codes=("97124", "97140"),
            minutes=45,
            pressure=Pressure.LIGHT,
            intake_goals="Drive and work at the computer without neck pain.",
            goals=(
                pain_goal("Reduce neck pain"),
                GoalSpec(
                    "rom",
                    "Restore cervical rotation to the right",
                    "degrees",
                    "cervical rotation, right",
                    45,
                    75,
                ),
            ),
            home_care="Gentle active range of motion three times daily within comfort. "
            "Heat 15 minutes in the evening. Avoid sleeping on the stomach.",
            subjective=(
                "Neck seized up after a long drive.",
                "Headaches less frequent; still stiff in the mornings.",
                "Could check the blind spot without turning the whole body.",
                "Sore between the shoulder blades after carrying groceries.",
            ),
            findings=(
                "Guarding of the cervical paraspinals and scalenes; no neurological "
                "signs.",
                "SCM and scalenes tender on both sides; right rotation about 50 "
                "degrees.",
                "Upper thoracic stiffness; trigger points in levator scapulae.",
            ),
            responses=(
                "Guarding reduced with light myofascial work; rotation improved.",
                "Less pulling on turning; no increase in symptoms.",
                "Tolerated slightly more pressure today.",
            ),
            next_focus=(
                "Increase pressure gradually as tolerated; scalene release.",
                "Recheck rotation; thoracic mobility.",
                "Continue gentle work; monitor headaches.",
            ),
            referred_by=("chiro", "physiatry", "ortho"),
        ),
        Scenario(
            key="fibromyalgia",
            complaint="Widespread aching, fatigue and poor sleep",
            onset="Diagnosed with fibromyalgia in 2019; flares with stress and cold "
            "weather.",
            conditions=(IC.FIBROMYALGIA,),
            areas=(
                BR.NECK,
                BR.UPPER_BACK,
                BR.LOWER_BACK,
                BR.HIP_GLUTE_LEFT,
                BR.HIP_GLUTE_RIGHT,
                BR.THIGH_LEFT,
                BR.THIGH_RIGHT,
            ),
            pain=(5, 8),
            codes=("M79.7",),
            diagnosis="Fibromyalgia",
            modalities=("swedish", "manual-lymphatic-drainage", "myofascial-release"),
            cpt_codes=("97124", "97140"),
            minutes=60,
            pressure=Pressure.LIGHT,
            intake_goals="Sleep better and have fewer bad days.",
            goals=(
                GoalSpec(
                    "function", "Improve FIQR score", "points", baseline=62, target=45
                ),
                pain_goal("Reduce average daily pain"),
                GoalSpec(
                    "text",
                    "Sleep through the night",
                    baseline_text="Wakes three to four times a night",
                    target_text="Sleeps 6 hours with at most one waking",
                ),
            ),
            home_care="Warm bath or shower before bed. Ten minutes of gentle stretching "
            "daily. Pace activity with rest breaks.",
            subjective=(
                "Flare after the cold snap; aching in hips and shoulders.",
                "Slept better the two nights after the last session.",
                "Very tired this week; pain everywhere.",
                "A good week: walked to the park twice.",
            ),
            findings=(
                "Generalised tenderness; dense tissue in upper trapezius and gluteals.",
                "Tender over neck, shoulders and hips; skin sensitive to touch.",
                "Less guarding than last visit; tolerates light sustained pressure.",
            ),
            responses=(
                "Client relaxed well and felt softer, without soreness afterwards.",
                "Light pressure tolerated; pain eased by two points.",
                "Fell asleep during the session; no adverse reaction.",
            ),
            next_focus=(
                "Keep pressure light; more time on the hips.",
                "Reassess the FIQR score at the review.",
                "Continue lymphatic strokes for fatigue.",
            ),
            referred_by=("primary", "physiatry"),
        ),
        Scenario(
            key="carpal_tunnel",
            complaint="Numbness and tingling in the right hand, worse at night",
            onset="Six months; types all day as a court stenographer.",
            conditions=(IC.CARPAL_TUNNEL,),
            areas=(BR.FOREARM_HAND_RIGHT, BR.ARM_RIGHT, BR.NECK),
            pain=(3, 6),
            codes=("G56.01",),
            diagnosis="Carpal tunnel syndrome, right upper limb",
            modalities=("myofascial-release", "trigger-point", "swedish"),
            cpt_codes=("97140", "97124"),
            minutes=45,
            pressure=Pressure.MODERATE,
            intake_goals="Sleep without waking with a numb hand; avoid surgery.",
            goals=(
                GoalSpec(
                    "function",
                    "Improve Boston carpal tunnel symptom score",
                    "points",
                    baseline=3.2,
                    target=1.8,
                ),
                pain_goal("Reduce wrist and hand pain"),
            ),
            home_care="Tendon and nerve gliding exercises, 5 reps three times daily. "
            "Neutral wrist splint at night. Micro-breaks every 30 minutes at work.",
            subjective=(
                "Woke once with tingling this week instead of every night.",
                "Hand numb after a long day in court.",
                "Grip feels stronger opening jars.",
                "Tingling in thumb and index finger after typing.",
            ),
            findings=(
                "Tight forearm flexors and pronator teres on the right; Tinel's sign "
                "positive at the wrist.",
                "Trigger points in scalenes and pectoralis minor may contribute.",
                "Thenar muscles tender; wrist extension reduced.",
            ),
            responses=(
                "Tingling reduced after pronator and flexor release.",
                "Client reported warmth and ease in the hand.",
                "Good tolerance; no increase in numbness.",
            ),
            next_focus=(
                "Continue flexor retinaculum and pronator work; check scalenes.",
                "Review nerve-glide technique.",
                "Reassess the symptom score next visit.",
            ),
            referred_by=("neuro", "primary", "ortho"),
        ),
        Scenario(
            key="tmj",
            complaint="Jaw pain and clicking; clenching at night",
            onset="Two years, worse in stressful periods; the dentist made a night "
            "guard.",
            conditions=(IC.TMJ, IC.HEADACHES),
            areas=(BR.JAW, BR.HEAD, BR.NECK),
            pain=(4, 7),
            codes=("M26.609",),
            diagnosis="Temporomandibular joint disorder, unspecified side",
            modalities=("trigger-point", "myofascial-release", "swedish"),
            cpt_codes=("97140", "97124"),
            minutes=45,
            pressure=Pressure.MODERATE,
            intake_goals="Eat without jaw pain and stop the morning headaches.",
            goals=(
                GoalSpec(
                    "rom",
                    "Increase mouth opening",
                    "mm",
                    "interincisal opening",
                    32,
                    45,
                ),
                pain_goal("Reduce jaw pain"),
            ),
            home_care="Lips together, teeth apart, tongue on the palate. Gentle "
            "masseter self-massage 2 minutes twice daily. Wear the night guard.",
            subjective=(
                "Jaw clicks less; still sore after chewing.",
                "Morning headaches twice this week.",
                "Clenched a lot during exam week.",
                "Could eat an apple without pain.",
            ),
            findings=(
                "Masseter and temporalis hypertonic, left more than right; jaw "
                "deviates left on opening.",
                "SCM trigger points; suboccipitals tight.",
                "Mouth opening 35 mm with a click at 20 mm.",
            ),
            responses=(
                "Opening improved about 3 mm after masseter release.",
                "Less pressure in the temples after the session.",
                "Tolerated the work well; mild tenderness afterwards.",
            ),
            next_focus=(
                "Continue masseter and temporalis work; suboccipitals.",
                "Re-measure opening; review home exercises.",
                "Address neck posture.",
            ),
            referred_by=("primary", "neuro"),
        ),
        Scenario(
            key="knee_oa",
            complaint="Right knee pain and stiffness, worse on stairs",
            onset="Several years; worse since retiring and walking less.",
            conditions=(IC.OSTEOARTHRITIS,),
            areas=(
                BR.KNEE_RIGHT,
                BR.THIGH_RIGHT,
                BR.LOWER_LEG_RIGHT,
                BR.HIP_GLUTE_RIGHT,
            ),
            pain=(4, 7),
            codes=("M17.11",),
            diagnosis="Unilateral primary osteoarthritis, right knee",
            modalities=("swedish", "myofascial-release", "hot-cold-packs"),
            cpt_codes=("97124", "97140", "97010"),
            minutes=45,
            pressure=Pressure.MODERATE,
            intake_goals="Walk to the grocery store and climb the subway stairs.",
            goals=(
                GoalSpec(
                    "rom",
                    "Improve right knee flexion",
                    "degrees",
                    "right knee flexion",
                    105,
                    125,
                ),
                pain_goal("Reduce knee pain on stairs"),
            ),
            home_care="Quad sets and heel slides, 10 reps twice daily. Warm pack 10 "
            "minutes before walking. Walk 15 to 20 minutes daily on flat ground.",
            subjective=(
                "Knee stiff for about 20 minutes in the morning.",
                "Managed the subway stairs with less pain.",
                "Swelling after a long walk at the weekend.",
                "Knee creaky but less painful.",
            ),
            findings=(
                "Quadriceps and IT band tight; mild effusion of the right knee.",
                "Hamstrings shortened; tender along the medial joint line.",
                "Active knee flexion about 110 degrees; crepitus.",
            ),
            responses=(
                "Flexion improved after quadriceps and IT band release; easier "
                "sit-to-stand.",
                "Swelling reduced after lymphatic strokes.",
                "Client walked out with a freer gait.",
            ),
            next_focus=(
                "Continue quadriceps and hamstring work; re-measure flexion.",
                "Heat before treatment; watch the swelling.",
                "Add calf work for gait.",
            ),
            referred_by=("ortho", "primary"),
        ),
        Scenario(
            key="back_spasm",
            complaint="Mid-back spasms since moving house",
            onset="Three weeks ago carrying furniture; spasms when twisting.",
            conditions=(IC.SPRAINS_STRAINS,),
            areas=(BR.MID_BACK, BR.UPPER_BACK, BR.LOWER_BACK),
            pain=(5, 8),
            codes=("M62.830",),
            diagnosis="Muscle spasm of back",
            modalities=("deep-tissue", "swedish", "trigger-point", "hot-cold-packs"),
            cpt_codes=("97124", "97140", "97010"),
            minutes=60,
            pressure=Pressure.FIRM,
            intake_goals="Twist and reach without a spasm; back to the gym.",
            goals=(
                pain_goal("Reduce mid-back pain"),
                GoalSpec(
                    "text",
                    "Return to the gym",
                    baseline_text="No exercise since the move",
                    target_text="Three gym sessions a week without a spasm",
                ),
            ),
            home_care="Cat-cow and open-book stretches, 10 reps twice daily. Heat 15 "
            "minutes after work. Build activity back gradually.",
            subjective=(
                "One spasm reaching into the back seat of the car.",
                "Back much calmer; only tight in the evenings.",
                "Sore after unpacking boxes all weekend.",
                "Went back to the gym for a light session.",
            ),
            findings=(
                "Rhomboids and middle trapezius in spasm on the left; rib motion "
                "restricted.",
                "Thoracic erectors hypertonic; tender between the shoulder blades.",
                "Less spasm than the last visit; rotation improving.",
            ),
            responses=(
                "Spasm released; client could rotate further without pain.",
                "Heat before treatment helped the tissue respond to firm pressure.",
                "Client reported relief and no soreness.",
            ),
            next_focus=(
                "Continue thoracic erector work; add rib mobility.",
                "Progress pressure; review gym programme.",
                "Reassess pain and rotation.",
            ),
            referred_by=("chiro", "primary"),
        ),
        Scenario(
            key="migraine",
            complaint="Migraines two to three times a month with neck tension",
            onset="Since her teens; neck tension seems to set them off.",
            conditions=(IC.HEADACHES, IC.NECK_PAIN),
            areas=(
                BR.HEAD,
                BR.NECK,
                BR.UPPER_BACK,
                BR.SHOULDER_LEFT,
                BR.SHOULDER_RIGHT,
            ),
            pain=(3, 6),
            codes=("G43.909",),
            diagnosis="Migraine, unspecified, not intractable, without status "
            "migrainosus",
            modalities=("swedish", "trigger-point", "myofascial-release"),
            cpt_codes=("97124", "97140"),
            minutes=60,
            pressure=Pressure.LIGHT,
            intake_goals="Fewer migraine days a month.",
            goals=(
                GoalSpec(
                    "function",
                    "Fewer migraine days",
                    "days/month",
                    baseline=8,
                    target=4,
                ),
                pain_goal("Reduce neck tension between migraines"),
            ),
            home_care="Regular sleep and meals. Neck stretches morning and evening. "
            "Dark room and cold pack at the first sign of a migraine.",
            subjective=(
                "One migraine since the last visit, shorter than usual.",
                "Neck tight after travelling; no migraine.",
                "Migraine on Sunday, recovered by Monday evening.",
                "Feels the neck tension building less often.",
            ),
            findings=(
                "Upper trapezius and suboccipitals tight; light-sensitive today.",
                "Trigger points in SCM and splenius capitis.",
                "Shoulders elevated; shallow breathing.",
            ),
            responses=(
                "Neck tension eased; client left relaxed.",
                "No headache triggered by the work.",
                "Suboccipital release reduced the pressure behind the eyes.",
            ),
            next_focus=(
                "Continue gentle neck work; breathing cues.",
                "Review the migraine diary.",
                "Add scalene release.",
            ),
            referred_by=("neuro",),
        ),
        Scenario(
            key="prenatal",
            complaint="Low back and hip pain in pregnancy",
            onset="Since the second trimester; worse after standing for a long time.",
            conditions=(IC.LOW_BACK_PAIN,),
            areas=(
                BR.LOWER_BACK,
                BR.HIP_GLUTE_LEFT,
                BR.HIP_GLUTE_RIGHT,
                BR.NECK,
                BR.LOWER_LEG_LEFT,
                BR.LOWER_LEG_RIGHT,
            ),
            pain=(4, 6),
            codes=("M54.50",),
            diagnosis="Low back pain, unspecified (pregnancy-related)",
            modalities=("prenatal", "swedish"),
            cpt_codes=("97124",),
            minutes=60,
            pressure=Pressure.MODERATE,
            intake_goals="Sleep on my side without hip pain until the baby comes.",
            goals=(
                pain_goal("Reduce low back and hip pain"),
                GoalSpec(
                    "text",
                    "Sleep comfortably on her side",
                    baseline_text="Wakes with hip pain every night",
                    target_text="Sleeps through most nights",
                ),
            ),
            home_care="Pelvic tilts on hands and knees, 10 reps twice daily. Sleep on "
            "the side with a pillow between the knees. Supportive shoes.",
            subjective=(
                "Hips ache after a day on her feet.",
                "Slept better this week with the pillow.",
                "Calves cramping at night.",
                "Low back better; some neck tension from the new pillow.",
            ),
            findings=(
                "Gluteus medius and piriformis tender on both sides; lumbar lordosis "
                "increased.",
                "Mild ankle swelling; calves tight.",
                "Upper trapezius tight; otherwise comfortable side-lying.",
            ),
            responses=(
                "Side-lying work eased the hips; client got up with less pain.",
                "Calves softened; cramps discussed.",
                "Client relaxed well in side-lying position.",
            ),
            next_focus=(
                "Continue side-lying hip and low back work.",
                "Light lower-leg work for swelling.",
                "Neck and shoulder work in side-lying position.",
            ),
            referred_by=("obgyn",),
        ),
        _post_op_knee("right", "M17.11"),
        _post_op_knee("left", "M17.12"),
        Scenario(
            key="sports_legs",
            complaint="Tight hamstrings and calves from marathon training",
            onset="Training for the New York City Marathon; right hamstring strain two "
            "months ago.",
            conditions=(IC.SPRAINS_STRAINS, IC.TENDONITIS),
            areas=(
                BR.THIGH_LEFT,
                BR.THIGH_RIGHT,
                BR.LOWER_LEG_LEFT,
                BR.LOWER_LEG_RIGHT,
                BR.HIP_GLUTE_RIGHT,
            ),
            pain=(3, 5),
            codes=("M79.18",),
            diagnosis="Myalgia, other site (hamstrings and calves)",
            modalities=(
                "sports",
                "deep-tissue",
                "passive-resistive-stretching",
                "cupping",
            ),
            cpt_codes=("97124", "97112", "97140"),
            minutes=60,
            pressure=Pressure.DEEP,
            intake_goals="Finish the marathon without the hamstring flaring up.",
            goals=(
                GoalSpec(
                    "rom",
                    "Improve right straight-leg raise",
                    "degrees",
                    "right straight-leg raise",
                    60,
                    80,
                ),
                GoalSpec(
                    "text",
                    "Long run without hamstring pain",
                    baseline_text="Hamstring pain after 8 miles",
                    target_text="20-mile long run without pain",
                ),
            ),
            home_care="Foam roll calves and quadriceps after runs. Eccentric hamstring "
            "bridges 3 x 10 every other day. Keep the easy runs easy.",
            subjective=(
                "16-mile long run; hamstring tight after mile 12.",
                "Calves sore after speed work.",
                "Hamstring quiet this week; taper starting.",
                "Right hip tight after hill repeats.",
            ),
            findings=(
                "Right hamstring dense at the mid-belly; gastrocnemius tight on both "
                "sides.",
                "Straight-leg raise 65 degrees on the right, 80 on the left.",
                "Gluteus medius weak and tender on the right.",
            ),
            responses=(
                "Straight-leg raise improved 5 degrees after stretching.",
                "Calves softened; client felt loose.",
                "Tolerated deep pressure on the hamstring without pain.",
            ),
            next_focus=(
                "Pre-race flush massage; keep pressure moderate near race day.",
                "Continue hamstring work and PNF stretching.",
                "Address the right hip.",
            ),
            referred_by=("sports",),
        ),
        Scenario(
            key="desk_chair",
            complaint="Neck and shoulder tension from desk work",
            onset="Ongoing; long hours at a trading desk.",
            conditions=(IC.NECK_PAIN,),
            areas=(BR.NECK, BR.UPPER_BACK, BR.SHOULDER_LEFT, BR.SHOULDER_RIGHT),
            pain=(3, 5),
            codes=(),
            diagnosis="",
            modalities=("chair-massage", "swedish"),
            cpt_codes=(),
            minutes=30,
            pressure=Pressure.MODERATE,
            intake_goals="Fewer stiff afternoons at work.",
            goals=(),
            home_care="Shoulder rolls and chin tucks every hour at the desk.",
            subjective=(
                "Shoulders tight after a busy trading week.",
                "Neck stiff from a long flight.",
                "Feels better since raising the monitor.",
            ),
            findings=(
                "Upper trapezius and levator scapulae tight on both sides.",
                "Rhomboids tender; shoulders rounded forward.",
            ),
            responses=(
                "Shoulders dropped and neck moved freely after the session.",
                "Client went back to work feeling lighter.",
            ),
            next_focus=("Keep the desk stretches going.", "Focus on levator scapulae."),
        ),
        Scenario(
            key="wellness",
            complaint="General muscle tension and stress; wants regular maintenance "
            "massage",
            onset="Long-standing; a busy job and two young children.",
            conditions=(),
            areas=(
                BR.NECK,
                BR.UPPER_BACK,
                BR.LOWER_BACK,
                BR.SHOULDER_LEFT,
                BR.SHOULDER_RIGHT,
            ),
            pain=(2, 4),
            codes=(),
            diagnosis="",
            modalities=("swedish", "deep-tissue"),
            cpt_codes=(),
            minutes=60,
            pressure=Pressure.MODERATE,
            intake_goals="Stay loose and manage stress.",
            goals=(),
            home_care="Stretch after long days; walk at lunchtime.",
            subjective=(
                "Stressful month; shoulders tight.",
                "Feeling good; here for maintenance.",
                "Low back tight after gardening at the weekend.",
            ),
            findings=(
                "General hypertonicity in upper trapezius and lumbar erectors.",
                "Mild tension across the shoulders; otherwise unremarkable.",
            ),
            responses=(
                "Client relaxed and left feeling refreshed.",
                "Tension eased across the shoulders and low back.",
            ),
            next_focus=("Maintenance visit in three to four weeks.",),
        ),
    )
}

# The scenarios that ordinary clients cycle through (special clients name theirs).
REFERRED_CYCLE = (
    "low_back",
    "neck",
    "tension_headache",
    "frozen_shoulder_right",
    "whiplash",
    "fibromyalgia",
    "carpal_tunnel",
    "tmj",
    "knee_oa",
    "back_spasm",
    "migraine",
    "sports_legs",
    "frozen_shoulder_left",
    "neck",
    "low_back",
)
SELF_PAY_CYCLE = ("wellness", "neck", "wellness", "low_back", "wellness", "sports_legs")


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
    dvt_cleared: bool = False
    workers_comp: bool = False


SPECIAL_CLIENTS: dict[int, Special] = {
    0: Special("low_back", workers_comp=True),
    2: Special(
        "low_back",
        ("anticoagulants",),
        medications="Warfarin 5 mg daily; metoprolol 25 mg twice daily",
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
        ("neuropathy",),
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
    ("Appendectomy", "2011-06-14", "Abdomen"),
    ("Caesarean section", "2017-02-03", "Abdomen"),
    ("ACL reconstruction", "2014-09-22", "Left knee"),
    ("Tonsillectomy", "1998-03-10", "Throat"),
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
