"""Vocabularies shared by several apps (they sit at the bottom of the app chain)."""

from __future__ import annotations

from django.db import models


class BodyRegion(models.TextChoices):
    HEAD = "head", "Head and face"
    JAW = "jaw", "Jaw (TMJ)"
    NECK = "neck", "Neck"
    SHOULDER_LEFT = "shoulder_left", "Left shoulder"
    SHOULDER_RIGHT = "shoulder_right", "Right shoulder"
    UPPER_BACK = "upper_back", "Upper back"
    MID_BACK = "mid_back", "Mid back"
    LOWER_BACK = "lower_back", "Lower back"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    ARM_LEFT = "arm_left", "Left arm"
    ARM_RIGHT = "arm_right", "Right arm"
    FOREARM_HAND_LEFT = "forearm_hand_left", "Left forearm and hand"
    FOREARM_HAND_RIGHT = "forearm_hand_right", "Right forearm and hand"
    HIP_GLUTE_LEFT = "hip_glute_left", "Left hip and glute"
    HIP_GLUTE_RIGHT = "hip_glute_right", "Right hip and glute"
    THIGH_LEFT = "thigh_left", "Left thigh"
    THIGH_RIGHT = "thigh_right", "Right thigh"
    KNEE_LEFT = "knee_left", "Left knee"
    KNEE_RIGHT = "knee_right", "Right knee"
    LOWER_LEG_LEFT = "lower_leg_left", "Left lower leg"
    LOWER_LEG_RIGHT = "lower_leg_right", "Right lower leg"
    FOOT_LEFT = "foot_left", "Left foot"
    FOOT_RIGHT = "foot_right", "Right foot"


class Pressure(models.TextChoices):
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"
