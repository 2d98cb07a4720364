"""models.tables.DateTimeField reads back what peewee's own DateTimeField reads, faster."""
import datetime

import peewee as pw
import pytest

from models.tables import DateTimeField


@pytest.mark.parametrize("value", [
    "2026-12-07 12:55:16.308381", "2026-12-07 12:55:16", "2026-12-07", "2026-12-07 12:55:16.3",
    "2026-02-30 12:55:16", "2026-12-07T12:55:16", "2026-12-07 12:55:16.30838Z", "not a date", "", None,
    datetime.datetime(2026, 12, 7, 12, 55, 16, 308381), datetime.date(2026, 12, 7),
])
def test_reads_as_peewee_reads(value):
    ours, theirs = DateTimeField().python_value(value), pw.DateTimeField().python_value(value)
    assert ours == theirs and type(ours) is type(theirs)


def test_reads_back_what_it_wrote():
    field = DateTimeField()
    for moment in (datetime.datetime(2026, 12, 7, 12, 55, 16, 308381), datetime.datetime(2026, 12, 7, 12, 55, 16)):
        assert field.python_value(str(field.db_value(moment))) == moment
