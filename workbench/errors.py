"""The errors a user can cause. They are values to show, never tracebacks."""


class WorkbenchError(Exception):
    """Base class: the message is safe to show to the user who caused it."""


class ValidationError(WorkbenchError):
    """Input that breaks a rule, field by field: {field: reason}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in self.errors.items()))


class PermissionDenied(WorkbenchError):
    """The user may see the thing but not do this to it."""


class NotFound(WorkbenchError):
    """No such thing, or one the user may not know exists: the two look the same."""


class Conflict(WorkbenchError):
    """The thing already exists, or changed since the user last saw it."""


class ConfigurationError(WorkbenchError):
    """The installation is set up wrong (a bad setting, a database newer than the code)."""


class AuthenticationFailed(WorkbenchError):
    """One generic message for a wrong username or password."""

    def __init__(self, message: str = "Wrong username or password."):
        super().__init__(message)
