"""Errors of the emulated org's record store, in Salesforce's terms.

RecordError
    A write or read that Salesforce would refuse: HTTP status, errorCode, message and
    the fields involved, exactly as the REST answer carries them.
MultipleMatchesError
    An upsert whose external ID value matches more than one record (HTTP 300).
"""


class RecordError(Exception):
    """A record operation refused with a Salesforce error code."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: list[str]
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields


class MultipleMatchesError(Exception):
    """An external ID value that matches several records."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"external ID value matches {len(ids)} records")
        self.ids = ids
