"""Typed API errors carrying Intercom's error codes; rendered once as `error.list`."""

from __future__ import annotations


class ApiError(Exception):
    """An error the client caused or must be told about, with Intercom's code and status."""

    status = 400
    code = "bad_request"
    default_message = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        if code is not None:
            self.code = code
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(ApiError):
    """400 `bad_request`."""


class ParameterInvalid(ApiError):
    """400 `parameter_invalid`: a parameter is present but unusable."""

    code = "parameter_invalid"
    default_message = "Parameter invalid"


class ParameterNotFound(ApiError):
    """400 `parameter_not_found`: a required parameter is missing."""

    code = "parameter_not_found"
    default_message = "Parameter not found"


class VersionInvalid(ApiError):
    """400 `intercom_version_invalid`: the Intercom-Version header names no version."""

    code = "intercom_version_invalid"
    default_message = "The requested version could not be found"


class Unauthorized(ApiError):
    """401 `unauthorized`."""

    status = 401
    code = "unauthorized"
    default_message = "Access Token Invalid"


class NotFound(ApiError):
    """404 `not_found`; also used for other workspaces' ids so existence never leaks."""

    status = 404
    code = "not_found"
    default_message = "Resource Not Found"


class SlaRuleNotFound(NotFound):
    """404 `not_found` for an SLA rule id."""

    default_message = "SLA rule not found"


class AdminNotFound(NotFound):
    """404 `admin_not_found`."""

    code = "admin_not_found"
    default_message = "Admin not found"


class MethodNotAllowed(ApiError):
    """405 for a known path with a method it does not have."""

    status = 405
    code = "method_not_allowed"
    default_message = "Method not allowed"


class PayloadTooLarge(ApiError):
    """413 `request_too_large`."""

    status = 413
    code = "request_too_large"
    default_message = "Request body too large"


class UnsupportedMediaType(ApiError):
    """415 `unsupported_media_type`."""

    status = 415
    code = "unsupported_media_type"
    default_message = "Content-Type must be application/json"


class RateLimited(ApiError):
    """429 `rate_limit_exceeded`."""

    status = 429
    code = "rate_limit_exceeded"
    default_message = "Exceeded rate limit"


class ServerError(ApiError):
    """500 `server_error`: an unexpected failure, logged with its request id."""

    status = 500
    code = "server_error"
    default_message = "An unexpected error occurred"


class ServiceUnavailable(ApiError):
    """503 `service_unavailable`: the server is overloaded; nothing was done, retry later."""

    status = 503
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable; retry later"


class NotImplementedYet(ApiError):
    """501 `not_implemented`: a path of Intercom's API that Parlour does not serve yet."""

    status = 501
    code = "not_implemented"
    default_message = "This endpoint is not implemented by Parlour"


class UserNotFound(NotFound):
    """404 `not_found` "User Not Found": no such contact in this workspace."""

    default_message = "User Not Found"


class TagNotFound(NotFound):
    """404 `tag_not_found`."""

    code = "tag_not_found"
    default_message = "Tag not found"


class PartNotFound(NotFound):
    """404 `conversation_part_or_message_not_found` (redaction)."""

    code = "conversation_part_or_message_not_found"
    default_message = "Conversation part or message not found"


class LastCustomer(ApiError):
    """422 `parameter_invalid`: a conversation keeps at least one contact."""

    status = 422
    code = "parameter_invalid"
    default_message = "Removing the last customer is not allowed"


class Conflict(ApiError):
    """409 `conflict`: a user with this email or external id already exists."""

    status = 409
    code = "conflict"
    default_message = "A contact matching those details already exists"


class OwnerInvalid(ParameterInvalid):
    """400 `parameter_invalid`: `owner_id` names no admin of the workspace."""

    default_message = "The owner specified is not a member of the workspace"
