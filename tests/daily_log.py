"""What the daily-log test files share: the clock frozen on Thursday 20 August 2026, 10:00 WIB (17 August, Hari
Kemerdekaan, is a holiday of that month), the ASN who logs, her browser, and reading a page. A test file takes them
with ``from tests.daily_log import ...``; pytest finds imported fixtures like its own."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html
import pytest
import time_machine

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 8, 20, 10, 0, tzinfo=WIB)
TODAY = NOW.date()
OTHER_CODE = "076.01.WA.4499.EBD.955"  # Layanan Manajemen Keuangan, default unit Dokumen


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def asn(make_asn):
    return make_asn(name="Siti Rahmawati")


@pytest.fixture()
def web(client, asn, login_as):
    login_as(asn)
    return client


def page(resp):
    """The page as a reader's tree (lxml), for the structure a test asserts on."""
    return lxml.html.fromstring(resp.get_data(as_text=True))
