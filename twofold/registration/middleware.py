from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from twofold.accounts.sessions import SESSION_INTERRUPT
from twofold.policy.services import Interrupt

# Pages a user may reach while policy interrupts: the wizard itself and what any page needs.
_ALWAYS_OPEN = {
    "signin_sign_out",
    # Step-up before a wizard step, when the sign-in is no longer fresh.
    "securityinfo_verify_identity",
    # The wizard's app password, shown once after it was made.
    "apppasswords_show_created",
    "set_language",
    "core_healthz",
    "core_readyz",
    "core_metrics",
    # The proxy's question; it answers "no" itself while the wizard is pending.
    "forwardauth_check",
    # The dev phone stands in for the user's phone, which a wizard never blocks.
    "messaging_show_devphone",
    "messaging_show_devphone_number",
    "messaging_press_devphone_keys",
}


class RegistrationInterruptMiddleware:
    """Sends a signed-in user to the wizard until policy's registration demands are met.

    Every other URL redirects, so typing an address cannot get around the interrupt.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        interrupt = request.session.get(SESSION_INTERRUPT) if hasattr(request, "session") else None
        # The REST API never uses the session: a browser's pending wizard is not its business.
        if request.path_info.startswith("/api/"):
            interrupt = None
        if interrupt and request.user.is_authenticated and not self._is_open(request):
            target = (
                "registration_reconfirm_info"
                if interrupt == Interrupt.RECONFIRM
                else "registration_show_start"
            )
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _is_open(request: HttpRequest) -> bool:
        try:
            name = resolve(request.path_info).url_name or ""
        except Resolver404:
            return False
        return name.startswith("registration_") or name in _ALWAYS_OPEN
