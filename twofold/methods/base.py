"""The one interface every security info method implements.

The wizard, the Security info page, sign-in and password reset only talk to
this interface and never branch on a method's kind.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from twofold.methods.purposes import Purpose

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod


class VerificationFailed(Exception):
    """A code, answer or signature was not right; ``message`` is shown to the person."""

    # Counts towards the lockout of wrong answers.
    counts_as_failure = True

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


class NotAnsweredYet(VerificationFailed):
    """The answer is still on its way (a call not answered yet): not a wrong guess."""

    counts_as_failure = False


class ChallengeRefused(Exception):
    """A challenge could not begin (a send refused, the account blocked); shown as is."""

    def __init__(self, message: str | Promise, *, blocked: bool = False) -> None:
        super().__init__(str(message))
        self.message = str(message)
        # Nothing on the challenge page could work (a fraud report blocks the account).
        self.blocked = blocked


class NewMethod:
    """What a finished registration stores: a label, secret data and a counter."""

    def __init__(
        self, label: str, data: dict[str, Any], counter: int = 0, lookup_key: str = ""
    ) -> None:
        self.label = label
        self.data = data
        self.counter = counter
        self.lookup_key = lookup_key


class SecurityMethod(ABC):
    key: ClassVar[str]
    name: ClassVar[str | Promise]
    description: ClassVar[str | Promise]
    # Higher is stronger; deleting the default method moves it to the strongest left.
    strength: ClassVar[int]
    for_two_step: ClassVar[bool]
    for_password_reset: ClassVar[bool]
    registration_form: ClassVar[type[forms.Form]]
    challenge_form: ClassVar[type[forms.Form]]
    registration_template: ClassVar[str]
    challenge_template: ClassVar[str]
    # Password reset asks the person to type the whole address or number first, so the
    # portal never shows (or sends to) contact details of an account it was only named.
    reset_contact_label: ClassVar[str | Promise | None] = None
    # The RFC 8176 "amr" value an ID token gives for this method (None: never a second step).
    amr: ClassVar[str | None] = None
    # A method offered in this one's place on its registration page ("I want to use a
    # different authenticator app"), when policy allows it.
    fallback_key: ClassVar[str | None] = None
    # At most one of this kind per person (a mobile, an alternate and an office phone, as
    # in Entra): a different number replaces the one on Security info, it doesn't add one.
    one_per_person: ClassVar[bool] = False
    # How the REST API shows the method, after Microsoft Graph's authentication methods: the
    # collection under /users/{id}/authentication/ (None: only in /methods), the
    # "@odata.type", and the signInPreferences name of a default method.
    api_collection: ClassVar[str | None] = None
    api_type: ClassVar[str] = "#microsoft.graph.authenticationMethod"
    api_preference: ClassVar[str | None] = None
    # What an administrator may add for a user without a proof of possession (the API's
    # phoneType "mobile", "office", or "email"); None: only the user can register it.
    admin_adds_as: ClassVar[str | None] = None

    def make_registration_form(
        self, user: User, data: Any = None, *, pending: dict[str, Any] | None = None
    ) -> forms.Form:
        """The registration form (a method may shape it per user, policy or the ``pending``
        registration, e.g. whether a code was sent yet)."""
        return self.registration_form(data)

    def make_challenge_form(self, state: dict[str, Any], data: Any = None) -> forms.Form:
        """The answer form for a begun challenge (e.g. the questions that were picked)."""
        return self.challenge_form(data)

    def is_available_for(self, user: User) -> bool:
        """Whether the method can work for this user at all (e.g. a directory office phone)."""
        return True

    @abstractmethod
    def begin_registration(self, user: User) -> dict[str, Any]:
        """Pending state (secrets included); kept encrypted in the session until finished."""

    @abstractmethod
    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        """What the registration page shows (QR code, manual entry details...)."""

    def advance_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> dict[str, Any] | None:
        """A registration step before the proof (e.g. "Contact me" sends a code).

        Returns the new pending state, or None when the post is the proof itself.
        Raises VerificationFailed when the step cannot be done.
        """
        return None

    @abstractmethod
    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        """Check the proof of possession; raise VerificationFailed when it is wrong."""

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        """Start a challenge: send a text, place a call, make WebAuthn options.

        Returns the challenge's state, kept encrypted in the session until the answer.
        Raises ChallengeRefused when it can't begin (too many sends, a blocked account).
        """
        return {}

    def quiet_challenge_state(self) -> dict[str, Any] | None:
        """At password reset, before the person has passed a first check, the state of a
        challenge that reaches nobody (no notification on the owner's phone); None when
        begin_challenge itself contacts nobody the person didn't name."""
        return None

    def challenge_context(
        self, method: RegisteredMethod, state: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        """What the challenge page shows besides the form."""
        return {}

    def page_verify_button(self, context: dict[str, Any]) -> bool:
        """Whether the page's own Verify button goes below the challenge: only when there is
        a field to submit. A method whose page submits by itself (a security key) or keeps
        its button beside a folded-away field (a notification's code) says no."""
        return True

    def challenge_still_open(self, state: dict[str, Any], now: dt.datetime) -> bool:
        """Whether a reload may reuse this challenge instead of beginning (sending) anew."""
        return False

    @abstractmethod
    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        """Check a response against the challenge ``state`` ({} when none was begun).

        Called inside a transaction with the method's row locked, so it may update
        ``method.counter``/``method.data`` (the caller saves). Raises VerificationFailed.
        """

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        """At password reset, for a name with no such method: a made-up challenge, the same
        for the same name (``seed``), so the page can't tell which accounts exist. It does
        a real begin's work and writes (limits counted, a decoy sent to ``contact``, the
        typed address or number) and reaches nobody. Raises ChallengeRefused as begin does."""
        return {}

    def look_alike_context(self, state: dict[str, Any]) -> dict[str, Any]:
        """The page context for a made-up challenge (see look_alike_state)."""
        return {}

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        """Refuse an answer to a made-up challenge after the work a real check does (hashing
        answers...), so the time taken can't tell real accounts from made-up ones."""
        raise VerificationFailed(_("That didn't work."))

    def contact_matches(self, method: RegisteredMethod, typed: str) -> bool:
        """Whether the typed address or number is this method's (see reset_contact_label)."""
        return False

    def mask_contact(self, typed: str) -> str:
        """A typed address or number, shown back masked to someone who may not own it."""
        return ""

    def notice_address(self, method: RegisteredMethod) -> str | None:
        """The email address that gets notices about the account (a password reset), if any."""
        return None

    def describe(self, method: RegisteredMethod) -> str:
        """The detail shown next to the method's name (device name, masked number)."""
        return method.label

    def api_properties(self, method: RegisteredMethod) -> dict[str, str]:
        """The Graph properties of this kind (a masked phoneNumber...), never a secret."""
        return {}

    def admin_registration(self, user: User, value: str) -> NewMethod:
        """The method an administrator adds for ``user`` with ``value`` (a number, an address),
        checked as the registration page checks it. Raises VerificationFailed with the reason."""
        raise VerificationFailed(_("Only the user can add this method."))
