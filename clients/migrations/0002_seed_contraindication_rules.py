"""Seed the contraindication conditions and the rules that turn them into actions.

The facts are DESIGN.md's (section 2, clients). A manager may edit them in the admin;
this migration only adds what is missing.
"""

from __future__ import annotations

from django.db import migrations

CONDITIONS = [
    # (slug, name, default severity)
    ("anticoagulants", "Anticoagulant medication", "modify"),
    ("clotting-disorder", "Clotting disorder", "modify"),
    ("dvt-history", "History of deep vein thrombosis (DVT)", "absolute"),
    ("fever", "Fever", "absolute"),
    ("acute-infection", "Acute infection", "absolute"),
    ("uncontrolled-hypertension", "Uncontrolled hypertension", "absolute"),
    ("pregnancy", "Pregnancy", "modify"),
    ("recent-surgery", "Recent surgery (under 6 weeks)", "regional"),
    ("fragile-skin", "Fragile skin", "modify"),
    ("corticosteroids", "Long-term corticosteroids", "modify"),
    ("implanted-device", "Implanted device", "regional"),
    ("neuropathy", "Neuropathy", "modify"),
    ("oil-allergy", "Allergy to oils or lotions", "modify"),
    ("varicose-veins", "Varicose veins", "regional"),
]

BLEEDING_RISK_AVOID = ["deep-tissue", "cupping", "cross-fibre-friction", "gua-sha"]
SKIN_AVOID = ["cross-fibre-friction", "cupping", "gua-sha"]

# (condition, modality slug or None for every modality, action, extra fields)
RULES = [
    *[("anticoagulants", m, "avoid_modality", {"headline": "no {m}: anticoagulant"}) for m in BLEEDING_RISK_AVOID],
    *[("clotting-disorder", m, "avoid_modality", {"headline": "no {m}: clotting disorder"}) for m in BLEEDING_RISK_AVOID],
    ("dvt-history", None, "needs_clearance", {"headline": "no massage until cleared: DVT history"}),
    ("fever", None, "needs_clearance", {"headline": "no massage until cleared: fever"}),
    ("acute-infection", None, "needs_clearance", {"headline": "no massage until cleared: acute infection"}),
    (
        "uncontrolled-hypertension", None, "needs_clearance",
        {"headline": "no massage until cleared: uncontrolled hypertension"},
    ),
    (
        "pregnancy", None, "modify",
        {"positioning": "Side-lying after the first trimester.", "area": "Abdomen",
         "headline": "side-lying, no abdominal work: pregnancy"},
    ),
    ("pregnancy", "maya-abdominal", "avoid_modality", {"headline": "no Maya abdominal: pregnancy"}),
    (
        "recent-surgery", None, "avoid_area",
        {"area": "The surgical site", "headline": "avoid surgical site: recent surgery"},
    ),
    *[("fragile-skin", m, "avoid_modality", {"headline": "no {m}: fragile skin"}) for m in SKIN_AVOID],
    *[("corticosteroids", m, "avoid_modality", {"headline": "no {m}: corticosteroids"}) for m in SKIN_AVOID],
    (
        "implanted-device", None, "avoid_area",
        {"area": "Over the device", "headline": "no pressure over implanted device"},
    ),
    (
        "neuropathy", None, "modify",
        {"pressure_limit": "moderate", "headline": "no deep pressure: neuropathy"},
    ),
    ("neuropathy", "deep-tissue", "avoid_modality", {"headline": "no deep tissue: neuropathy"}),
    ("oil-allergy", "aromatherapy", "avoid_modality", {"headline": "no aromatherapy: oil allergy"}),
    (
        "varicose-veins", None, "avoid_area",
        {"area": "Over the varicose veins", "headline": "avoid varicose veins"},
    ),
]


def seed(apps, schema_editor):
    Condition = apps.get_model("clients", "Condition")
    ContraindicationRule = apps.get_model("clients", "ContraindicationRule")
    Modality = apps.get_model("therapists", "Modality")
    conditions = {}
    for slug, name, severity in CONDITIONS:
        conditions[slug], _ = Condition.objects.get_or_create(
            slug=slug, defaults={"name": name, "default_severity": severity}
        )
    modalities = {m.slug: m for m in Modality.objects.all()}
    for condition_slug, modality_slug, action, extra in RULES:
        modality = modalities.get(modality_slug) if modality_slug else None
        if modality_slug and modality is None:
            continue  # a manager removed that modality; nothing to attach the rule to
        fields = dict(extra)
        if modality is not None:
            fields["headline"] = fields["headline"].format(m=modality.name.lower())
        ContraindicationRule.objects.get_or_create(
            condition=conditions[condition_slug], modality=modality, action=action, defaults=fields
        )


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial"), ("therapists", "0002_seed_modalities")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
