"""Seed the modalities from DESIGN.md with the CPT codes they are billed under.

A manager may edit them in the admin afterwards; this migration only adds missing ones.
"""

from __future__ import annotations

from django.db import migrations

MODALITIES = [
    # (name, slug, CPT code, timed, description)
    ("Swedish", "swedish", "97124", True, "Effleurage, petrissage, tapotement."),
    ("Deep tissue", "deep-tissue", "97124", True, "Slow, firm work into deeper layers."),
    ("Trigger point", "trigger-point", "97140", True, "Sustained pressure on trigger points."),
    ("Myofascial release", "myofascial-release", "97140", True, "Manual therapy of the fascia."),
    ("Cross-fibre friction", "cross-fibre-friction", "97140", True, "Transverse friction."),
    ("Cupping", "cupping", "97140", True, "Negative-pressure cups."),
    ("Manual lymphatic drainage", "manual-lymphatic-drainage", "97140", True, "Light rhythmic strokes."),
    ("Reflexology", "reflexology", "", True, "Pressure on reflex points of feet and hands."),
    ("Aromatherapy", "aromatherapy", "", True, "Massage with essential oils."),
    ("Prenatal", "prenatal", "97124", True, "Pregnancy massage, side-lying."),
    ("Postnatal", "postnatal", "97124", True, "After childbirth."),
    ("Palliative", "palliative", "97124", True, "Comfort care, light pressure."),
    ("Sports", "sports", "97124", True, "Pre- and post-event, injury recovery."),
    ("Chair massage", "chair-massage", "", True, "Seated, clothed, often at a workplace."),
    ("Gua sha", "gua-sha", "97140", True, "Instrument-assisted scraping."),
    ("Maya abdominal", "maya-abdominal", "", True, "Abdominal and pelvic work."),
    ("Structural integration (Rolfing)", "structural-integration", "97140", True, "Ten-series fascial work."),
    ("Passive-resistive stretching", "passive-resistive-stretching", "97112", True, "Neuromuscular re-education."),
    ("Spot work", "spot-work", "97124", True, "Short focused work beside a chiropractic or PT visit."),
    ("Hot or cold packs", "hot-cold-packs", "97010", False, "Untimed: no units from minutes."),
]


def seed(apps, schema_editor):
    Modality = apps.get_model("therapists", "Modality")
    for name, slug, cpt, timed, description in MODALITIES:
        Modality.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "cpt_code": cpt, "is_timed": timed, "description": description},
        )


class Migration(migrations.Migration):
    dependencies = [("therapists", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
