from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from twilio.twiml.voice_response import VoiceResponse

from twofold.core.network import is_loopback_request
from twofold.messaging.gateways import twilio
from twofold.messaging.models import Outbound, sent_outbound
from twofold.methods.phone import keys as call_keys

# --- The dev phone: every number's texts and calls, and a keypad to answer calls.


def _devphone_refusal(request: HttpRequest) -> HttpResponse | None:
    if settings.TWOFOLD_SMS_GATEWAY != "devphone":
        raise Http404
    # It shows every code sent: only to someone at this machine, whatever the Host header
    # says, and not through a reverse proxy on it (which connects from 127.0.0.1).
    if not is_loopback_request(request):
        message = _("The dev phone can only be opened on the machine Twofold runs on.")
        return render(request, "core/error.html", {"message": message}, status=403)
    return None


@require_GET
@never_cache
def show_devphone(request: HttpRequest) -> HttpResponse:
    if (refused := _devphone_refusal(request)) is not None:
        return refused
    # Decoys (a made-up account's) are shown nowhere: nobody may read their codes or numbers.
    numbers = sent_outbound().values_list("to_number", flat=True).distinct().order_by("to_number")
    return render(request, "messaging/devphone_index.html", {"numbers": numbers})


@require_GET
@never_cache
def show_devphone_number(request: HttpRequest, number: str) -> HttpResponse:
    if (refused := _devphone_refusal(request)) is not None:
        return refused
    items = sent_outbound().filter(to_number=number, gateway="devphone")[:50]
    return render(request, "messaging/devphone_number.html", {"number": number, "items": items})


@require_POST
def press_devphone_keys(request: HttpRequest, token: str) -> HttpResponse:
    if (refused := _devphone_refusal(request)) is not None:
        return refused
    call = get_object_or_404(
        sent_outbound(), token=token, channel=Outbound.Channel.CALL, gateway="devphone"
    )
    keys = request.POST.get("keys", "")[:16]
    call_keys.answer_call(call, keys)
    return redirect("messaging_show_devphone_number", number=call.to_number)


# --- Twilio webhooks: TwiML for the call, the keys pressed, delivery status.


def _verified_twilio_request(request: HttpRequest) -> bool:
    # Without this, anyone could post "Digits=" for a ringing call and confirm a sign-in.
    url = twilio.public_url(request.get_full_path())
    params = {key: request.POST.get(key, "") for key in request.POST}
    return twilio.signature_is_valid(url, params, request.headers.get("X-Twilio-Signature", ""))


def _twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="application/xml")


@csrf_exempt
@require_http_methods(["POST"])
def twilio_voice(request: HttpRequest, token: str) -> HttpResponse:
    if not _verified_twilio_request(request):
        return HttpResponseForbidden("invalid signature")
    call = get_object_or_404(Outbound, token=token, channel=Outbound.Channel.CALL)
    with translation.override(call.language):
        script = call_keys.call_script()
        response = VoiceResponse()
        gather = response.gather(
            input="dtmf",
            finish_on_key=call_keys.FINISH_KEY,
            timeout=15,
            action=twilio.public_url(request.path + "keys/"),
            method="POST",
        )
        gather.say(f"{script.greeting} {script.confirm_prompt}", language=_voice_language())
        response.say(script.goodbye_wrong_key, language=_voice_language())
    return _twiml(response)


@csrf_exempt
@require_http_methods(["POST"])
def twilio_keys(request: HttpRequest, token: str) -> HttpResponse:
    if not _verified_twilio_request(request):
        return HttpResponseForbidden("invalid signature")
    call = get_object_or_404(Outbound, token=token, channel=Outbound.Channel.CALL)
    # Gather leaves out the finishing key: "" means just "#", "0" means "0#".
    status = call_keys.answer_call(call, request.POST.get("Digits", "")[:15] + call_keys.FINISH_KEY)
    with translation.override(call.language):
        script = call_keys.call_script()
        goodbyes: dict[str, str] = {
            Outbound.Status.CONFIRMED: script.goodbye_confirmed,
            Outbound.Status.FRAUD_REPORTED: script.goodbye_fraud,
        }
        goodbye = goodbyes.get(status, script.goodbye_wrong_key)
        response = VoiceResponse()
        response.say(goodbye, language=_voice_language())
        response.hangup()
    return _twiml(response)


_TWILIO_STATUS = {
    "delivered": Outbound.Status.DELIVERED,
    "sent": Outbound.Status.SENT,
    "failed": Outbound.Status.FAILED,
    "undelivered": Outbound.Status.FAILED,
    "no-answer": Outbound.Status.NO_ANSWER,
    "busy": Outbound.Status.NO_ANSWER,
    "canceled": Outbound.Status.FAILED,
}


@csrf_exempt
@require_http_methods(["POST"])
def twilio_status(request: HttpRequest, token: str) -> HttpResponse:
    if not _verified_twilio_request(request):
        return HttpResponseForbidden("invalid signature")
    reported = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    status = _TWILIO_STATUS.get(reported)
    if status is not None:
        # Only calls still ringing or texts in flight move; a confirmed call stays confirmed.
        Outbound.objects.filter(
            token=token,
            status__in=[Outbound.Status.QUEUED, Outbound.Status.SENT, Outbound.Status.RINGING],
        ).update(status=status)
    return HttpResponse(status=204)


def _voice_language() -> str:
    return {"nl": "nl-NL"}.get((translation.get_language() or "en")[:2], "en-US")
