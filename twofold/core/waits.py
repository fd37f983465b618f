"""How long until something can be asked for again, in the unit a person reads best.

Each caller words its own sentence (a code, an email, a notification) from a ``Wait``, so
translators get whole sentences with proper plurals.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum

from django.utils import formats, timezone

from twofold.core import clock


class Unit(Enum):
    SECONDS = "seconds"
    MINUTES = "minutes"
    # An hour or more away: the moment reads better than a count ("after 14:05").
    TIME = "time"


@dataclass(frozen=True)
class Wait:
    unit: Unit
    # Rounded up: asking again after this many seconds or minutes always works.
    count: int
    # For Unit.TIME: the moment in the current time zone, in the current language.
    moment: str

    @classmethod
    def until(cls, at: dt.datetime, now: dt.datetime | None = None) -> Wait:
        now = now or clock.now()
        seconds = max(1, math.ceil((at - now).total_seconds()))
        if seconds < 60:
            return cls(Unit.SECONDS, seconds, "")
        minutes = math.ceil(seconds / 60)
        if minutes < 60:
            return cls(Unit.MINUTES, minutes, "")
        # Up to the whole minute shown, so "after 14:05" is never a moment too early.
        local = timezone.localtime(at)
        if local.second or local.microsecond:
            local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        same_day = local.date() == timezone.localtime(now).date()
        # A 24-hour clock reads the same in every language ("after 14:05"); another day
        # gets its date, with the month's name in the current language.
        moment = formats.date_format(local, "H:i" if same_day else "j F H:i")
        return cls(Unit.TIME, minutes, moment)
