"""The REST API's JSON shapes, camelCase after Microsoft Graph."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

# Ids are database keys: bounded so no number a caller sends overflows a column.
Id = Annotated[int, Field(ge=1, le=2**53)]


class User(Schema):
    id: str
    userPrincipalName: str
    displayName: str
    accountEnabled: bool
    createdDateTime: dt.datetime


class UserPage(Schema):
    value: list[User]
    # The next page's cursor; null on the last page.
    nextCursor: str | None = None
    nextLink: str | None = Field(None, alias="@odata.nextLink")


class AuthenticationMethod(Schema):
    id: str
    odataType: str = Field(..., alias="@odata.type")
    methodType: str
    displayName: str
    detail: str
    createdDateTime: dt.datetime
    lastUsedDateTime: dt.datetime | None = None
    isDefault: bool
    phoneNumber: str | None = None
    phoneType: str | None = None
    emailAddress: str | None = None


class AuthenticationMethodList(Schema):
    value: list[AuthenticationMethod]


class NewPhoneMethod(Schema):
    phoneNumber: str = Field(..., min_length=1, max_length=32)
    phoneType: str = Field(..., min_length=1, max_length=32)


class NewEmailMethod(Schema):
    emailAddress: str = Field(..., min_length=1, max_length=254)


class SignInPreferences(Schema):
    userPreferredMethodForSecondaryAuthentication: str | None = None
    defaultMethodId: str | None = None
    isSystemPreferredAuthenticationMethodEnabled: bool = False


class SignInPreferencesChange(Schema):
    """Either the method to make the default, or a kind of method (the user's of that kind)."""

    defaultMethodId: str | None = Field(None, max_length=20)
    userPreferredMethodForSecondaryAuthentication: str | None = Field(None, max_length=32)


class AuditEvent(Schema):
    id: str
    kind: str
    occurredDateTime: dt.datetime
    userId: str | None = None
    principalName: str
    actorId: str | None = None
    ipAddress: str | None = None
    details: dict[str, Any]


class AuditEventPage(Schema):
    value: list[AuditEvent]
    nextCursor: str | None = None
    nextLink: str | None = Field(None, alias="@odata.nextLink")
