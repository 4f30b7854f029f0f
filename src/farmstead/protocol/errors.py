"""Service errors as the model declares them, and the one path for unexpected exceptions.

Owns: the ServiceError type raised by handlers (and the store, through the api layer), checked
against the model's error shapes for status and required members. Must not: format HTTP (that is
serialization's job) or decide business rules.
"""

from __future__ import annotations

import functools
from typing import Any

from farmstead.protocol.model import service_model


class ServiceError(Exception):
    """An error the API answers with: `code` is the model's error shape name (or an AWS auth code)."""

    def __init__(self, code: str, message: str, **members: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.members = {k: v for k, v in members.items() if v is not None}

    @property
    def status(self) -> int:
        return error_status(self.code)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.members}


class Unavailable(Exception):
    """The server cannot serve the request now (its store is busy or unreachable), raised where the
    protocol is not yet known (authenticating the caller, which every protocol shares); each
    pipeline answers it with its own "retry later" error and Retry-After."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


# Errors outside the model: SigV4 failures and routing misses, answered the way AWS front ends do.
_UNMODELLED_STATUS = {
    "MissingAuthenticationTokenException": 403,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "IncompleteSignatureException": 400,
    "ExpiredTokenException": 403,
    "UnknownOperationException": 404,
    "NotImplemented": 501,
    "SerializationException": 400,
}


@functools.cache
def error_status(code: str) -> int:
    model = service_model()
    if code in model.shape_names:
        return int(model.shape_for(code).metadata["error"]["httpStatusCode"])
    return _UNMODELLED_STATUS.get(code, 500)


def validation_error(message: str, field_list: list[dict[str, str]] | None = None,
                     reason: str = "FIELD_VALIDATION_FAILED") -> ServiceError:
    return ServiceError("ValidationException", message, reason=reason, fieldList=field_list)


def not_found(resource_type: str, resource_id: str, message: str | None = None) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException",
        message or f"Resource of type {resource_type} with id {resource_id} does not exist.",
        resourceId=resource_id,
        resourceType=resource_type,
    )


def conflict(reason: str, resource_type: str, resource_id: str, message: str,
             context: dict[str, str] | None = None) -> ServiceError:
    return ServiceError("ConflictException", message, reason=reason, resourceId=resource_id,
                        resourceType=resource_type, context=context)


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDeniedException", message)


def quota_exceeded(resource_type: str, message: str, quota_code: str,
                   resource_id: str | None = None) -> ServiceError:
    return ServiceError("ServiceQuotaExceededException", message, reason="SERVICE_QUOTA_EXCEEDED_EXCEPTION",
                        resourceType=resource_type, serviceCode="deadline", quotaCode=quota_code,
                        resourceId=resource_id)


def throttled(message: str, retry_after_seconds: int = 1) -> ServiceError:
    return ServiceError("ThrottlingException", message, serviceCode="deadline",
                        retryAfterSeconds=retry_after_seconds)
