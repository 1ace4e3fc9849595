"""Clinical stories of the demo clients (first part): what a client says, what the
referral says, and how care goes. `scenarios.SCENARIOS` gathers them all."""

from __future__ import annotations

from dataclasses import dataclass

from clients.models import IntakeCondition as IC
from massageclinic.choices import BodyRegion as BR
from massageclinic.choices import Pressure


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


def post_op_knee(side: str, code: str) -> Scenario:
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


FIRST_STORIES: tuple[Scenario, ...] = (
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
            "Guarding of the cervical paraspinals and scalenes; no neurological signs.",
            "SCM and scalenes tender on both sides; right rotation about 50 degrees.",
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
        onset="Two years, worse in stressful periods; the dentist made a night guard.",
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
)
