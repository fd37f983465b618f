"""The device API the authenticator app calls (authenticator/PROTOCOL.md).

No cookies and no CSRF: every call is proved by the activation code or the device's
signature. The long polls (notifications for the app, answers for the page) are served
by twofold.push.longpoll, outside Django's request cycle.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from twofold.core import clock, ratelimit
from twofold.core.network import client_ip
from twofold.policy.services import method_options
from twofold.push import services
from twofold.push.services import Answer, PushRefused

# Wrong activation codes and bad signatures per address: 12-digit codes and signatures
# can't be guessed, and this keeps anyone from trying at volume.
FAILURES_PER_IP_10_MINUTES = 20
MAX_BODY_BYTES = 4096


def device_error(refused: PushRefused) -> JsonResponse:
    response = JsonResponse(
        {"error": refused.error, "message": refused.message}, status=refused.status
    )
    if refused.status == 429:
        response["Retry-After"] = "600"
    return response


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise PushRefused(400, "invalid_request", _("The request is too large."))
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise PushRefused(400, "invalid_request", _("The request must be a JSON object."))
    return body


def _string(body: dict[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > max_length or (required and not value):
        raise PushRefused(
            400, "invalid_request", _("The field %(name)s is missing or wrong.") % {"name": name}
        )
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise PushRefused(
            400, "invalid_request", _("The field %(name)s must be true or false.") % {"name": name}
        )
    return value


def _refuse_when_failing_too_often(request: HttpRequest) -> None:
    if ratelimit.hits("push-failures", client_ip(request)) >= FAILURES_PER_IP_10_MINUTES:
        raise PushRefused(429, "rate_limited", _("Too many failed requests. Try again later."))


def _count_failure(request: HttpRequest, refused: PushRefused) -> None:
    if refused.status in (400, 401):
        ratelimit.count_hit("push-failures", client_ip(request), 600)


@csrf_exempt
@never_cache
@require_POST
def activate_device(request: HttpRequest) -> JsonResponse:
    try:
        _refuse_when_failing_too_often(request)
        body = _json_body(request)
        activated = services.activate_device(
            code=_string(body, "code", max_length=40),
            public_key=_string(body, "public_key", max_length=200),
            device_name=_string(body, "device_name", max_length=100, required=False),
            proof=_string(body, "proof", max_length=200),
        )
    except PushRefused as refused:
        _count_failure(request, refused)
        return device_error(refused)
    return JsonResponse(
        {
            "device_id": activated.device_id,
            "account": activated.user.username,
            "issuer": settings.TWOFOLD_ORGANISATION_NAME,
            "totp": {
                "secret": activated.totp_secret,
                "digits": 6,
                "period": 30,
                "algorithm": "SHA1",
            },
            "require_pin": bool(method_options(services.METHOD_KEY).get("require_pin")),
            "poll_url": request.build_absolute_uri(reverse("push_poll_notifications")),
            "respond_url": request.build_absolute_uri(reverse("push_answer_notification")),
        }
    )


@csrf_exempt
@never_cache
@require_POST
def answer_notification(request: HttpRequest) -> JsonResponse:
    try:
        _refuse_when_failing_too_often(request)
        body = _json_body(request)
        decision = _string(body, "decision", max_length=10)
        number = body.get("number")
        if decision not in ("approve", "deny"):
            raise PushRefused(
                400, "invalid_request", _("The field decision must be approve or deny.")
            )
        if not (number is None or (isinstance(number, str) and len(number) <= 4)):
            raise PushRefused(
                400, "invalid_request", _("The field number must be the digits typed in the app.")
            )
        result = services.answer_notification(
            Answer(
                device_id=_string(body, "device", max_length=64),
                challenge_id=_string(body, "challenge", max_length=32),
                decision=decision,
                number=number or "",
                report_fraud=_flag(body, "report_fraud"),
                user_verified=_flag(body, "user_verified"),
                signature=_string(body, "signature", max_length=200),
            )
        )
    except PushRefused as refused:
        _count_failure(request, refused)
        return device_error(refused)
    return JsonResponse({"result": result})


@never_cache
@require_GET
def poll_notifications(request: HttpRequest) -> JsonResponse:
    try:
        _refuse_when_failing_too_often(request)
        device = services.check_poll(
            request.GET.get("device", ""),
            request.GET.get("ts", ""),
            request.GET.get("sig", ""),
            clock.now(),
        )
    except PushRefused as refused:
        _count_failure(request, refused)
        return device_error(refused)
    return JsonResponse({"challenges": services.pending_for_device(device.device_id, clock.now())})


@never_cache
@require_GET
def wait_for_answer(request: HttpRequest, token: str) -> JsonResponse:
    status = services.wait_status(services.wait_digest(token), clock.now())
    return JsonResponse({"status": status or "pending"})
