from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from twofold.methods.security_questions.catalogue import normalise_answer

MIN_ANSWER = 3
MAX_ANSWER = 40


class ChooseQuestionsForm(forms.Form):
    """Registration: pick N different questions and answer each, under the article's rules."""

    def __init__(self, questions: dict[str, str], count: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.count = count
        choices = [("", _("Choose a question")), *questions.items()]
        for number in range(1, count + 1):
            self.fields[f"question_{number}"] = forms.ChoiceField(
                label=_("Question %(number)d") % {"number": number},
                choices=choices,
                error_messages={
                    "required": _("Choose a question."),
                    "invalid_choice": _("Choose one of the questions in the list."),
                },
            )
            self.fields[f"answer_{number}"] = forms.CharField(
                label=_("Answer %(number)d") % {"number": number},
                max_length=200,
                error_messages={"required": _("Type an answer.")},
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen_questions: set[str] = set()
        seen_answers: set[str] = set()
        pairs = []
        for number in range(1, self.count + 1):
            question = data.get(f"question_{number}")
            answer = data.get(f"answer_{number}")
            if not question or answer is None:
                continue
            field = f"answer_{number}"
            normalised = normalise_answer(answer)
            if question in seen_questions:
                self.add_error(f"question_{number}", _("Choose a different question for each."))
            elif len(normalised) < MIN_ANSWER:
                self.add_error(
                    field, _("An answer has at least %(min)d characters.") % {"min": MIN_ANSWER}
                )
            elif len(normalised) > MAX_ANSWER:
                self.add_error(
                    field, _("An answer has at most %(max)d characters.") % {"max": MAX_ANSWER}
                )
            elif normalised in normalise_answer(self.questions[question]):
                self.add_error(field, _("An answer can't be part of its question."))
            elif normalise_answer(self.questions[question]) in normalised:
                self.add_error(field, _("An answer can't contain its question."))
            elif normalised in seen_answers:
                self.add_error(field, _("Give a different answer to each question."))
            seen_questions.add(question)
            seen_answers.add(normalised)
            pairs.append((question, normalised))
        data["pairs"] = pairs
        return data


class AnswerQuestionsForm(forms.Form):
    def __init__(self, asked: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, (key, text) in enumerate(asked):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=text,
                max_length=200,
                error_messages={"required": _("Answer every question.")},
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"answer_{index}"].question_key = key  # type: ignore[attr-defined]

    def answers(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields]
