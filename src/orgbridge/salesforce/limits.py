"""API usage reported by the org on every REST response (``Sforce-Limit-Info``)."""

import re
from dataclasses import dataclass

# Examples: "api-usage=18/5000",
# "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)".
# The look-behind keeps "per-app-api-usage" from matching as the org-wide figure.
_API_USAGE = re.compile(r"(?<![-\w])api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """API requests used in the rolling 24 hours, and the org's allocation."""

    used: int
    max: int

    @property
    def remaining(self) -> int:
        """Requests left before the daily limit."""
        return max(self.max - self.used, 0)


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """Parse the org-wide figure of a Sforce-Limit-Info header; None if absent."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    if match is None:
        return None
    return ApiUsage(used=int(match.group(1)), max=int(match.group(2)))
