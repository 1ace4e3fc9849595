"""The seeder's clinical records: intakes, safety flags, referrals, insurance, plans.

A mixin of `DemoSeeder`: it reads the seeder's `rng`, `today`, `front_desk`,
`manager`, `providers` and `payers`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from clients.intake_services import history_submit
from clients.models import (
    Authorization,
    Contraindication,
    InsurancePolicy,
    IntakeCondition,
    Referral,
)
from clients.services import (
    contraindication_clear,
    contraindication_update,
)
from massageclinic.audit import AuditContext
from massageclinic.choices import BodyRegion
from sessions.demo import data, places, scenarios, stories
from sessions.demo.care import Care
from sessions.models import (
    Goal,
    TreatmentPlan,
)


class ClinicalRecords:
    # ----------------------------------------------------------- intakes

    def _intakes(self, cares: list[Care]) -> None:
        """Each intake submitted as the desk or the client's link would: through
        `history_submit`, which numbers the versions and adds the flags they call for."""
        for care in cares:
            if care.scenario is None or care.intake_at is None:
                continue
            if care.index % data.SECOND_INTAKE_EVERY == 1 and care.first_day:
                earlier = care.intake_at - timedelta(days=self.rng.randint(390, 560))
                self._submit(care, scenarios.SCENARIOS["wellness"], earlier)
            self._submit(care, care.scenario, care.intake_at)
            latest = care.histories[-1]
            care.pain = latest.pain_level if latest.pain_level is not None else 5

    def _submit(self, care: Care, scenario: stories.Scenario, at: datetime) -> None:
        history = history_submit(
            client=care.client,
            data=self._history_form(care, scenario, at),
            submitted_by=None if care.index % 2 else self.front_desk,
            now=at,
            context=AuditContext.system("seed_demo"),
        )
        care.histories.append(history)  # the latest version comes last

    def _history_form(
        self, care: Care, scenario: stories.Scenario, at: datetime
    ) -> dict[str, Any]:
        """What the client writes on the intake form, as the form hands it over."""
        rng = self.rng
        special = care.special or data.Special(scenario.key)
        current = scenario is care.scenario
        flags = (
            set(care.flags)
            if current
            else set(care.flags)
            - {
                "pregnancy",
                "recent-surgery",
            }
        )
        conditions = list(scenario.conditions)
        if "neuropathy" in flags:
            conditions.append(IntakeCondition.NEUROPATHY)
        if "Breast cancer" in special.other_conditions:
            conditions.append(IntakeCondition.CANCER)
        medications = special.medications or rng.choice(data.EVERYDAY_MEDICATIONS)
        if "Lisinopril" in medications or "Amlodipine" in medications:
            conditions.append(IntakeCondition.HYPERTENSION)
        surgeries = []
        if "recent-surgery" in flags and care.surgery_on:
            right = "right" in scenario.key
            site = BodyRegion.KNEE_RIGHT if right else BodyRegion.KNEE_LEFT
            surgeries.append(
                {
                    "procedure": "Arthroscopic partial meniscectomy",
                    "date": care.surgery_on.isoformat(),
                    "site": site,
                }
            )
        if rng.random() < 0.2:
            procedure, when, site = rng.choice(data.OLD_SURGERIES)
            surgeries.append({"procedure": procedure, "date": when, "site": site})
        weeks = special.pregnancy_weeks if "pregnancy" in flags else None
        return {
            "chief_complaint": scenario.complaint,
            "pain_areas": list(scenario.areas),
            "pain_level": rng.randint(*scenario.pain),
            "onset": scenario.onset,
            "conditions": list(dict.fromkeys(conditions)),
            "other_conditions": special.other_conditions,
            "medications": medications or "None",
            "allergies": special.allergies
            or rng.choice(data.EVERYDAY_ALLERGIES)
            or "None known",
            "allergic_to_oils": "oil-allergy" in flags,
            "surgeries": surgeries,
            "pregnant": weeks is not None,
            "pregnancy_weeks": weeks,
            "takes_anticoagulants": "anticoagulants" in flags,
            "dvt_history": "dvt-history" in flags,
            "implanted_devices": special.implanted_devices,
            "goals": scenario.intake_goals,
            "consent_name": care.client.full_name,
        }

    # ---------------------------------------------------------- safety flags

    def _flags(self, cares: list[Care]) -> None:
        """What staff add on review to the flags each intake raised."""
        for care in cares:
            for history in care.histories:  # oldest first, as they were submitted
                for flag in history.flags.select_related("condition"):
                    self._review_flag(care, flag)

    def _review_flag(self, care: Care, flag: Contraindication) -> None:
        """What staff add on review: the region to avoid, a physician's clearance."""
        special = care.special
        if special is None:
            return
        slug = flag.condition.slug
        if slug == "implanted-device" and special.device_region:
            contraindication_update(
                context=AuditContext.system("seed_demo"),
                flag=flag,
                by=self.manager,
                body_region=special.device_region,
            )
        elif slug == "dvt-history":
            contraindication_update(
                context=AuditContext.system("seed_demo"),
                flag=flag,
                by=self.manager,
                body_region=BodyRegion.LOWER_LEG_LEFT,
                detail=special.other_conditions[:250],
            )
            if care.cleared_on:
                contraindication_clear(
                    context=AuditContext.system("seed_demo"),
                    flag=flag,
                    by=self.manager,
                    cleared_on=care.cleared_on,
                    physician="Laura Bennett, MD",
                    document=None,
                    today=self.today,
                )

    # ----------------------------------------------- referrals and insurance

    def _referrals(self, cares: list[Care]) -> None:
        rng = self.rng
        for care in cares:
            if care.referred_on is None or not care.scenario.codes:
                continue
            scenario = care.scenario
            kinds = scenario.referred_by or ("primary",)
            provider = rng.choice([p for kind, p in self.providers if kind in kinds])
            twice = scenario.key.startswith(("post_op", "whiplash", "frozen"))
            per_week = 2 if twice else rng.choice((1, 2, 2))
            weeks = rng.choice((4, 6, 6, 8))
            if care.index % 6 == 1:
                expires_on = self.today + timedelta(days=rng.randint(4, 12))
            else:
                expires_on = max(
                    care.referred_on + timedelta(weeks=weeks + 4),
                    self.today + timedelta(days=rng.randint(20, 60)),
                )
            precautions = " ".join(
                data.PRECAUTIONS.get(f, "")
                for f in care.flags
                if data.PRECAUTIONS.get(f)
            )
            care.referral = Referral.objects.create(
                client=care.client,
                provider=provider,
                referred_on=care.referred_on,
                diagnosis_codes=list(scenario.codes),
                diagnosis_text=scenario.diagnosis,
                prescribed_cpt_codes=list(scenario.cpt_codes),
                body_areas=list(scenario.areas),
                visits_per_week=per_week,
                duration_weeks=weeks,
                session_minutes=care.minutes,
                visits_authorized=per_week * weeks,
                expires_on=expires_on,
                precautions=precautions,
            )
            care.referral.prescribed_modalities.set(care.modalities)
            care.per_week = per_week
            care.min_gap_days = 2 if per_week == 2 else 5

    def _insurance(self, cares: list[Care]) -> None:
        rng = self.rng
        for care in cares:
            referral = care.referral
            if referral is None or care.index % 5 == 4:
                continue  # self-pay
            if care.special and care.special.workers_comp:
                payer_name = places.WORKERS_COMP
            elif care.scenario.key == "whiplash":
                payer_name = places.NO_FAULT
            else:
                payer_name = places.HEALTH_PLANS[care.index % len(places.HEALTH_PLANS)]
            payer, prefix = self.payers[payer_name]
            policy = InsurancePolicy.objects.create(
                client=care.client,
                payer=payer,
                member_id=f"{prefix}{rng.randint(1_000_000, 9_999_999)}{care.index:02d}",
                group_number=f"GRP-{rng.randint(10000, 99999)}",
                subscriber_name=care.client.full_name,
            )
            if care.index % 7 == 3:
                continue  # authorization requested, not yet granted
            by_units = payer_name == places.WORKERS_COMP
            care.authorization = Authorization.objects.create(
                policy=policy,
                referral=referral,
                number=f"A{rng.randint(10_000_000, 99_999_999)}",
                visits_authorized=None if by_units else referral.visits_authorized,
                units_authorized=referral.visits_authorized * 4 if by_units else None,
                valid_from=referral.referred_on,
                valid_to=referral.expires_on,
            )

    # -------------------------------------------------------------- plans

    def _plans(self, cares: list[Care]) -> None:
        goals: list[tuple[Care, Goal]] = []
        for care in cares:
            referral = care.referral
            if referral is None or care.index not in data.PLANNED or not care.first_day:
                continue
            starts_on = min(
                referral.referred_on + timedelta(days=self.rng.randint(2, 6)),
                self.today,
            )
            care.plan = TreatmentPlan.objects.create(
                client=care.client,
                therapist=care.therapist,
                referral=referral,
                problems=list(referral.diagnosis_codes),
                visits_per_week=referral.visits_per_week,
                visits_planned=referral.visits_per_week * referral.duration_weeks,
                session_minutes=care.minutes,
                starts_on=starts_on,
                review_on=starts_on + timedelta(weeks=referral.duration_weeks),
                status=TreatmentPlan.Status.ACTIVE,
                home_care_plan=care.scenario.home_care,
            )
            care.plan.planned_modalities.set(care.modalities)
            care.first_day = max(care.first_day, starts_on)
            goals.extend((care, self._goal(care, spec)) for spec in care.scenario.goals)
        Goal.objects.bulk_create([g for _, g in goals])
        for care, goal in goals:
            care.goals.append(goal)

    def _goal(self, care: Care, spec: stories.GoalSpec) -> Goal:
        baseline, target = spec.baseline, spec.target
        if spec.measure == Goal.Measure.PAIN:
            baseline = care.pain
            target = max(1, round(care.pain * 0.4))  # 7/10 -> 3/10
        return Goal(
            plan=care.plan,
            description=spec.description,
            measure=spec.measure,
            unit=spec.unit,
            movement=spec.movement,
            baseline=None if baseline is None else Decimal(str(baseline)),
            target=None if target is None else Decimal(str(target)),
            baseline_text=spec.baseline_text,
            target_text=spec.target_text,
        )
