from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from twofold.api import problems

PREFIX = "/api/"


class ProblemResponseMiddleware:
    """Under /api/, every error is problem JSON, also those answered before the API's own
    handlers (no such path, a method the path doesn't take, an unexpected failure)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path_info.startswith(PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(problems.MEDIA_TYPE)
        ):
            replacement = problems.generic(request, response.status_code)
            if "Allow" in response:
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
