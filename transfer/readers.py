"""Reading import files into (line, record) pairs, whatever their format.

A record is a dict in one of two dialects, told apart by its shape: a SCIM
User resource, or a ZITADEL ImportHumanUser body (it has a `profile`
object). CSV columns name SCIM attributes (`userName`, `name.givenName`,
`externalId`, `urn:…:enterprise:2.0:User:department`…) plus the shortcuts
`givenName`, `familyName`, `email` and `phone`.
"""
import csv
import json
import typing

CSV_SHORTCUTS = {
    "givenname": ("name", "givenName"),
    "familyname": ("name", "familyName"),
    "email": ("emails", None),
    "phone": ("phoneNumbers", None),
}


class BadRecord(Exception):
    def __init__(self, line, message):
        super().__init__(line, message)  # both in args, so it survives pickling to a validating process
        self.line = line
        self.message = message

    def __str__(self):
        return self.message


class JsonLine(typing.NamedTuple):
    """A JSON Lines record not parsed yet: whoever validates it parses it (in a large import, a
    worker process, so that the process writing the batches does not spend its time on JSON)."""

    line: int
    text: str

    def parse(self):
        """The record, or a BadRecord when the line is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError as error:
            return BadRecord(self.line, f"not JSON: {error}")


def detect_format(path):
    lowered = str(path).lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "json"


def _csv_record(row):
    record = {}
    for column, value in row.items():
        if column is None or value in (None, ""):
            continue
        key = column.strip()
        shortcut = CSV_SHORTCUTS.get(key.lower())
        if shortcut == ("emails", None):
            record["emails"] = [{"value": value, "type": "work", "primary": True}]
        elif shortcut == ("phoneNumbers", None):
            record["phoneNumbers"] = [{"value": value, "type": "work", "primary": True}]
        elif shortcut is not None:
            record.setdefault(shortcut[0], {})[shortcut[1]] = value
        elif not key.lower().startswith("urn:") and "." in key:
            head, _, sub = key.partition(".")
            record.setdefault(head, {})[sub] = value
        else:
            record[key] = value
    return record


def read(path, fmt=None):
    """Yield (line number, record) or raise nothing: bad records come as (line, BadRecord).

    A JSON Lines record comes as a JsonLine, to be parsed where it is validated.
    """
    fmt = fmt or detect_format(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        if fmt == "csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, _csv_record(row)
        elif fmt == "jsonl":
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    yield number, JsonLine(number, text)
        else:
            try:
                document = json.load(handle)
            except ValueError as error:
                yield 1, BadRecord(1, f"not JSON: {error}")
                return
            # A list of records, or a SCIM ListResponse (what GET /Users answers).
            items = document.get("Resources", []) if isinstance(document, dict) else document
            if not isinstance(items, list):
                yield 1, BadRecord(1, "expected a JSON list of users or a SCIM ListResponse")
                return
            for number, item in enumerate(items, start=1):
                yield number, item


def count(path, fmt=None):
    """How many records read() will yield (for a progress bar); JSON Lines are counted unparsed."""
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return sum(1 for text in handle if text.strip())
    return sum(1 for _ in read(path, fmt))
