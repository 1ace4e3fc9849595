"""Every clinical story of the demo, by key, and the cycles ordinary clients follow."""

from __future__ import annotations

from clients.models import IntakeCondition as IC
from massageclinic.choices import BodyRegion as BR
from massageclinic.choices import Pressure
from sessions.demo.stories import (
    FIRST_STORIES,
    GoalSpec,
    Scenario,
    pain_goal,
    post_op_knee,
)

MORE_STORIES: tuple[Scenario, ...] = (
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
        diagnosis="Migraine, unspecified, not intractable, without status migrainosus",
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
    post_op_knee("right", "M17.11"),
    post_op_knee("left", "M17.12"),
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

SCENARIOS: dict[str, Scenario] = {s.key: s for s in (*FIRST_STORIES, *MORE_STORIES)}

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
