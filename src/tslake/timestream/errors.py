"""Service errors in the shape the Timestream JSON protocol returns them (`__type` plus `message`)."""

from __future__ import annotations

from typing import Any


class TimestreamError(Exception):
    """An error the service answers with; `code` is the `__type` boto3 maps to its exception class."""

    code = "InternalServerException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class ValidationError(TimestreamError):
    code = "ValidationException"
    status = 400


class ResourceNotFoundError(TimestreamError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictError(TimestreamError):
    code = "ConflictException"
    status = 409


class ThrottlingError(TimestreamError):
    code = "ThrottlingException"
    status = 429


class UnknownOperationError(TimestreamError):
    code = "UnknownOperationException"
    status = 400
