"""The safety rules in four outcomes, each default with the clinical source it follows.

Adds what is missing (new conditions: diabetes, cancer treatment, osteoporosis; rules by
trimester and by weeks since surgery; pressure limits) and gives every seeded rule its
source. A rule a manager has changed since (another headline) is left as it is.

Sources, by the short names used below:
- Werner: R. Werner, "A Massage Therapist's Guide to Pathology", 7th edition.
- Walton: T. Walton, "Medical Conditions and Massage Therapy: A Decision Tree Approach".
- Osborne: C. Osborne-Sheets, "Pre- and Perinatal Massage Therapy".
- MacDonald: G. MacDonald, "Medicine Hands: Massage Therapy for People with Cancer".
- Batavia: M. Batavia, "Contraindications in Physical Rehabilitation: Doing No Harm".
"""

from __future__ import annotations

from django.db import migrations

WERNER = "Werner, A Massage Therapist's Guide to Pathology (7th ed.)"
WALTON = "Walton, Medical Conditions and Massage Therapy: A Decision Tree Approach"
OSBORNE = "Osborne-Sheets, Pre- and Perinatal Massage Therapy"
MACDONALD = "MacDonald, Medicine Hands: Massage Therapy for People with Cancer"
BATAVIA = "Batavia, Contraindications in Physical Rehabilitation: Doing No Harm"

NEW_CONDITIONS = [
    # (slug, name, default severity, description)
    (
        "diabetes",
        "Diabetes",
        "modify",
        "Reduced sensation in the feet and legs, fragile skin, insulin injection "
        f"sites. Sources: {WERNER}; {WALTON}.",
    ),
    (
        "cancer-treatment",
        "Cancer treatment",
        "modify",
        "Chemotherapy, radiation or surgery for cancer: low platelets, ports, "
        f"radiation sites, lymph node removal. Sources: {MACDONALD}; {WALTON}.",
    ),
    (
        "osteoporosis",
        "Osteoporosis",
        "modify",
        f"Fragile bones: no heavy pressure, careful positioning. Sources: {WERNER}; "
        f"{BATAVIA}.",
    ),
]

BLEEDING = (
    "Bleeding and bruising risk: deep or vigorous work can cause deep bruising or a "
    "bleed."
)
SKIN = "Thin, fragile skin tears and bruises under friction and suction."

# (condition, modality slug or None, action, from_week, fields); the headline is the
# natural key of a seeded rule together with the condition, modality and action.
RULES = [
    *[
        (
            "anticoagulants",
            m,
            "avoid_modality",
            None,
            {"headline": f"no {name}: anticoagulant", "description": f"{BLEEDING} "
             f"Sources: {WERNER}; {WALTON}."},
        )
        for m, name in [
            ("deep-tissue", "deep tissue"),
            ("cupping", "cupping"),
            ("cross-fibre-friction", "cross-fibre friction"),
            ("gua-sha", "gua sha"),
        ]
    ],
    (
        "anticoagulants", None, "modify", None,
        {"pressure_limit": "moderate", "headline": "no firm or deep pressure: anticoagulant",
         "description": f"{BLEEDING} Sources: {WERNER}; {WALTON}."},
    ),
    *[
        (
            "clotting-disorder",
            m,
            "avoid_modality",
            None,
            {"headline": f"no {name}: clotting disorder", "description": f"{BLEEDING} "
             f"Sources: {WERNER}; {WALTON}."},
        )
        for m, name in [
            ("deep-tissue", "deep tissue"),
            ("cupping", "cupping"),
            ("cross-fibre-friction", "cross-fibre friction"),
            ("gua-sha", "gua sha"),
        ]
    ],
    (
        "clotting-disorder", None, "modify", None,
        {"pressure_limit": "moderate", "headline": "no firm or deep pressure: clotting disorder",
         "description": f"{BLEEDING} Sources: {WERNER}; {WALTON}."},
    ),
    (
        "dvt-history", None, "needs_clearance", None,
        {"headline": "no massage until cleared: DVT history",
         "description": "A clot may break loose and travel to the lungs: no massage until "
         f"a physician has cleared it. Sources: {WERNER}; {WALTON}."},
    ),
    (
        "dvt-history", None, "modify", None,
        {"pressure_limit": "moderate", "area": "Deep work on the legs",
         "headline": "gentle on the legs: DVT history",
         "description": "After a physician's clearance: no deep or stripping work on the "
         f"legs. Sources: {WERNER}; {WALTON}."},
    ),
    (
        "fever", None, "needs_clearance", None,
        {"headline": "no massage until cleared: fever",
         "description": f"Fever is the body fighting an infection. Source: {WERNER}."},
    ),
    (
        "acute-infection", None, "needs_clearance", None,
        {"headline": "no massage until cleared: acute infection",
         "description": f"Massage may spread an acute infection. Source: {WERNER}."},
    ),
    (
        "uncontrolled-hypertension", None, "needs_clearance", None,
        {"headline": "no massage until cleared: uncontrolled hypertension",
         "description": "Uncontrolled high blood pressure needs a physician's clearance. "
         f"Sources: {WERNER}; {WALTON}."},
    ),
    (
        "pregnancy", None, "modify", None,
        {"until_week": 13, "pressure_limit": "moderate", "area": "Abdomen",
         "headline": "first trimester: gentle, no abdominal work: pregnancy",
         "description": f"First trimester: no deep abdominal work. Source: {OSBORNE}."},
    ),
    (
        "pregnancy", None, "modify", 13,
        {"positioning": "Side-lying after the first trimester.", "area": "Abdomen",
         "headline": "side-lying, no abdominal work: pregnancy",
         "description": "From the second trimester: side-lying or semi-reclining, not "
         f"prone or flat on the back; no abdominal work. Source: {OSBORNE}."},
    ),
    (
        "pregnancy", "maya-abdominal", "avoid_modality", None,
        {"headline": "no Maya abdominal: pregnancy",
         "description": f"No abdominal massage in pregnancy. Source: {OSBORNE}."},
    ),
    (
        "pregnancy", "deep-tissue", "avoid_modality", None,
        {"headline": "no deep tissue: pregnancy",
         "description": "Pregnancy raises the risk of clots in the legs: no deep work on "
         f"the inner legs. Sources: {OSBORNE}; {WERNER}."},
    ),
    (
        "recent-surgery", None, "avoid_area", None,
        {"until_week": 6, "area": "The surgical site",
         "headline": "avoid surgical site: recent surgery",
         "description": "The first six weeks: no work on or near the incision. "
         f"Sources: {WERNER}; {BATAVIA}."},
    ),
    (
        "recent-surgery", None, "modify", 6,
        {"until_week": 12, "pressure_limit": "light", "area": "Around the scar",
         "headline": "light pressure around the scar: recent surgery",
         "description": "Weeks six to twelve: light work around the healing scar only. "
         f"Sources: {WERNER}; {BATAVIA}."},
    ),
    (
        "recent-surgery", "cupping", "avoid_modality", None,
        {"until_week": 12, "headline": "no cupping: recent surgery",
         "description": f"Suction pulls on healing tissue. Source: {WERNER}."},
    ),
    *[
        (
            slug,
            m,
            "avoid_modality",
            None,
            {"headline": f"no {name}: {label}", "description": f"{SKIN} Sources: "
             f"{WERNER}; {WALTON}."},
        )
        for slug, label in [("fragile-skin", "fragile skin"), ("corticosteroids", "corticosteroids")]
        for m, name in [
            ("cross-fibre-friction", "cross-fibre friction"),
            ("cupping", "cupping"),
            ("gua-sha", "gua sha"),
        ]
    ],
    (
        "fragile-skin", None, "modify", None,
        {"pressure_limit": "moderate", "headline": "gentle, no friction: fragile skin",
         "description": f"{SKIN} Sources: {WERNER}; {WALTON}."},
    ),
    (
        "corticosteroids", None, "modify", None,
        {"pressure_limit": "moderate", "headline": "gentle, no friction: corticosteroids",
         "description": "Long-term corticosteroids thin the skin and the bones. "
         f"Sources: {WERNER}; {WALTON}."},
    ),
    (
        "implanted-device", None, "avoid_area", None,
        {"area": "Over the device", "headline": "no pressure over implanted device",
         "description": "No pressure or vibration over a pacemaker, port or pump. "
         f"Source: {WERNER}."},
    ),
    (
        "neuropathy", None, "modify", None,
        {"pressure_limit": "moderate", "headline": "no deep pressure: neuropathy",
         "description": "Reduced sensation: the client cannot say when pressure is too "
         f"much. Sources: {WERNER}; {WALTON}."},
    ),
    (
        "neuropathy", "deep-tissue", "avoid_modality", None,
        {"headline": "no deep tissue: neuropathy",
         "description": f"Reduced sensation. Sources: {WERNER}; {WALTON}."},
    ),
    (
        "diabetes", None, "modify", None,
        {"pressure_limit": "moderate", "area": "Insulin injection sites",
         "headline": "moderate pressure; avoid injection sites: diabetes",
         "description": "Reduced sensation and fragile skin in the feet; fresh injection "
         f"sites. Sources: {WERNER}; {WALTON}."},
    ),
    (
        "diabetes", "deep-tissue", "avoid_modality", None,
        {"headline": "no deep tissue: diabetes",
         "description": f"Reduced sensation in the legs and feet. Source: {WALTON}."},
    ),
    (
        "oil-allergy", "aromatherapy", "avoid_modality", None,
        {"headline": "no aromatherapy: oil allergy",
         "description": "Essential and carrier oils cause the reaction. Source: "
         f"{WERNER}."},
    ),
    (
        "oil-allergy", None, "modify", None,
        {"headline": "fragrance-free lotion only: oil allergy",
         "description": "Use a lubricant the client has tolerated, or none. Source: "
         f"{WERNER}."},
    ),
    (
        "cancer-treatment", None, "modify", None,
        {"pressure_limit": "light", "area": "Ports, radiation sites and tumour sites",
         "headline": "light pressure; avoid ports and treated sites: cancer treatment",
         "description": "Pressure, site and position adjusted to the treatment (platelets, "
         f"ports, radiation, lymph nodes). Sources: {MACDONALD}; {WALTON}."},
    ),
    *[
        (
            "cancer-treatment",
            m,
            "avoid_modality",
            None,
            {"headline": f"no {name}: cancer treatment",
             "description": f"Vigorous or deep work during treatment. Source: {MACDONALD}."},
        )
        for m, name in [("deep-tissue", "deep tissue"), ("cupping", "cupping")]
    ],
    (
        "osteoporosis", None, "modify", None,
        {"pressure_limit": "moderate", "positioning": "Supported side-lying or supine; "
         "no heavy pressure on the ribs or spine.",
         "headline": "moderate pressure, careful positioning: osteoporosis",
         "description": f"Fragile bones can break under heavy pressure. Sources: {WERNER}; "
         f"{BATAVIA}."},
    ),
    *[
        (
            "osteoporosis",
            m,
            "avoid_modality",
            None,
            {"headline": f"no {name}: osteoporosis",
             "description": f"Heavy pressure or forced range of motion. Source: {BATAVIA}."},
        )
        for m, name in [
            ("deep-tissue", "deep tissue"),
            ("passive-resistive-stretching", "passive-resistive stretching"),
        ]
    ],
    (
        "varicose-veins", None, "avoid_area", None,
        {"area": "Over the varicose veins", "headline": "avoid varicose veins",
         "description": f"No pressure on or below the veins. Source: {WERNER}."},
    ),
]

CONDITION_SOURCES = {
    "anticoagulants": f"{WERNER}; {WALTON}",
    "clotting-disorder": f"{WERNER}; {WALTON}",
    "dvt-history": f"{WERNER}; {WALTON}",
    "fever": WERNER,
    "acute-infection": WERNER,
    "uncontrolled-hypertension": f"{WERNER}; {WALTON}",
    "pregnancy": OSBORNE,
    "recent-surgery": f"{WERNER}; {BATAVIA}",
    "fragile-skin": f"{WERNER}; {WALTON}",
    "corticosteroids": f"{WERNER}; {WALTON}",
    "implanted-device": WERNER,
    "neuropathy": f"{WERNER}; {WALTON}",
    "oil-allergy": WERNER,
    "varicose-veins": WERNER,
}


def seed(apps, schema_editor):
    Condition = apps.get_model("clients", "Condition")
    ContraindicationRule = apps.get_model("clients", "ContraindicationRule")
    Modality = apps.get_model("therapists", "Modality")
    for slug, name, severity, description in NEW_CONDITIONS:
        Condition.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "default_severity": severity, "description": description},
        )
    for slug, sources in CONDITION_SOURCES.items():
        Condition.objects.filter(slug=slug, description="").update(
            description=f"Sources: {sources}."
        )
    conditions = {c.slug: c for c in Condition.objects.all()}
    modalities = {m.slug: m for m in Modality.objects.all()}
    missing = []
    for condition_slug, modality_slug, action, from_week, fields in RULES:
        condition = conditions.get(condition_slug)
        modality = modalities.get(modality_slug) if modality_slug else None
        if condition is None or (modality_slug and modality is None):
            continue  # a manager removed it; nothing to attach the rule to
        key = {"condition": condition, "modality": modality, "action": action}
        # The rule 0002 seeded, found by its headline, gains its weeks and source.
        existing = ContraindicationRule.objects.filter(**key, headline=fields["headline"]).first()
        if existing is None:
            missing.append((key, from_week, fields))
            continue
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.from_week = from_week
        existing.save()
    for key, from_week, fields in missing:
        if ContraindicationRule.objects.filter(**key, from_week=from_week).exists():
            continue  # a manager's own rule in that place: leave it
        ContraindicationRule.objects.create(**key, from_week=from_week, **fields)


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_safety_outcomes"), ("therapists", "0002_seed_modalities")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
