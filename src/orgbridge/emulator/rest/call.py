"""One REST call as the operations see it, independent of Starlette."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orgbridge.emulator.config import UserConfig
from orgbridge.emulator.rest.responses import ApiFailure, not_found
from orgbridge.emulator.runtime import OrgRuntime
from orgbridge.emulator.schema import SObjectSchema


@dataclass
class Call:
    """A request to run: who calls, which resource path, with what input.

    ``path`` is the part after ``/services/data/vNN.0/``, without a leading slash.
    """

    runtime: OrgRuntime
    api_version: str
    user: UserConfig
    instance_url: str
    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any = None

    @property
    def user_id(self) -> str:
        return self.user.user_id

    def sobject(self, name: str) -> SObjectSchema:
        """Find an sObject by name or raise 404 NOT_FOUND."""
        schema = self.runtime.schema.sobject(name)
        if schema is None:
            raise not_found()
        return schema

    def record_url(self, sobject: str, record_id: str) -> str:
        return f"/services/data/v{self.api_version}/sobjects/{sobject}/{record_id}"

    def attributes(self, sobject: str, record_id: str) -> dict[str, str]:
        return {"type": sobject, "url": self.record_url(sobject, record_id)}

    def check_lock(self, record_id: str = "") -> None:
        """Fail the write with UNABLE_TO_LOCK_ROW if the fault injector picks it."""
        if self.runtime.faults.lock_row_fault():
            raise ApiFailure(
                400,
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records: "
                f"{record_id}",
                [],
            )

    def version_number(self) -> float:
        return float(self.api_version)
