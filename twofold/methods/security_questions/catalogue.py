"""The organisation's security questions: a built-in list (translated) and the admin's own."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

BUILT_IN = {
    "first_school": _("What was the name of your first school?"),
    "childhood_street": _("What was the name of the street you grew up on?"),
    "first_pet": _("What was the name of your first pet?"),
    "first_concert": _("What was the first concert you went to?"),
    "childhood_hero": _("Who was your childhood hero?"),
    "first_job_city": _("In what city did you have your first job?"),
    "grandmother_city": _("In what city was your grandmother born?"),
    "first_car": _("What was the make and model of your first car?"),
    "childhood_friend": _("What was the first name of your best friend as a child?"),
    "favourite_teacher": _("What was the last name of your favourite teacher?"),
    "parents_meet_city": _("In what city did your parents meet?"),
    "first_phone": _("What was the brand of your first mobile phone?"),
}


def available_questions() -> dict[str, str]:
    """Question key -> text in the current language: built-in ones, then active custom ones."""
    from twofold.methods.models import CustomSecurityQuestion

    questions = {key: str(text) for key, text in BUILT_IN.items()}
    for question in CustomSecurityQuestion.objects.filter(active=True):
        questions[f"custom:{question.pk}"] = question.text
    return questions


def normalise_answer(answer: str) -> str:
    """Case, accents of width, spacing and punctuation don't make an answer wrong."""
    folded = unicodedata.normalize("NFKC", answer).casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    return re.sub(r"\s+", " ", folded).strip()
