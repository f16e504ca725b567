"""The emulated org's SOQL engine: SOQL text in, pages of JSON-ready records out.

Queries are parsed into an AST, translated into one parameterized SQL statement over
the storage convention of ``orgbridge.emulator.schema`` and run on SQLite. Paging uses
query locators that snapshot the ordered matching Ids when the query runs.
"""

from orgbridge.emulator.soql.engine import QueryPage, SoqlEngine
from orgbridge.emulator.soql.errors import SoqlError

__all__ = ["QueryPage", "SoqlEngine", "SoqlError"]
