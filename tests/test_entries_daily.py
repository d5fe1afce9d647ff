"""Issue 14, point 5: returned entries first on home, a counter instead of a silent cut, "Salin entri kemarin" with
a choice, and the output-code search (words in any order, case and punctuation ignored, through logged activities)."""
from __future__ import annotations

from datetime import timedelta

from tests.daily_log import NOW, OTHER_CODE, TODAY, WIB, asn, frozen, page, web  # noqa: F401 - fixtures pytest finds by name


def test_returned_entries_come_first_on_the_home_page(web, asn, make_kasubag, make_entry, db):
    from silabu.verification import services as verification

    kasubag = make_kasubag()
    make_entry(asn, TODAY, activity="Hari ini")
    returned = make_entry(asn, TODAY - timedelta(days=1), status="submitted", activity="Perlu diperbaiki")
    verification.return_entry(returned, kasubag, "Lampirkan daftar hadir")
    db.session.commit()
    ids = page(web.get("/beranda")).xpath("//section[@aria-labelledby]/@aria-labelledby")
    assert ids[0] == "h-returned" and ids.index("h-returned") < ids.index("h-today")


def test_long_text_is_counted_not_cut_and_the_server_says_how_long(web, db):
    doc = page(web.get("/entri/baru"))
    for name in ("activity", "output"):
        area = doc.xpath(f"//textarea[@name='{name}']")[0]
        assert area.get("maxlength") is None and area.get("data-max") == "1000"
        counter = doc.get_element_by_id(f"c-{name}")
        assert counter.text_content() == "Maksimal 1.000 karakter." and f"c-{name}" in area.get("aria-describedby")
    data = {"entry_date": TODAY.isoformat(), "output_code": "076.01.WA.4499.EBA.962", "activity": "a" * 1005,
            "output": "Laporan", "quantity": "1", "unit": "Dokumen", "action": "draft"}
    resp = web.post("/entri/baru", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert "maksimal 1000 karakter (sekarang 1005)" in doc.get_element_by_id("e-activity").text_content()
    assert doc.xpath("//textarea[@name='activity']")[0].text == "a" * 1005  # nothing cut away


def test_copy_yesterday_with_several_entries_lets_the_asn_choose(web, asn, make_entry):
    yesterday = TODAY - timedelta(days=1)
    make_entry(asn, TODAY - timedelta(days=2), activity="Lebih lama")
    first = make_entry(asn, yesterday, activity="Rapat koordinasi pagi")
    second = make_entry(asn, yesterday, activity="Menyusun notula siang")
    resp = web.get("/entri/salin-kemarin")
    assert resp.status_code == 200
    doc = page(resp)
    links = doc.xpath("//ul[contains(@class, 'copy-choices')]//a[@class='btn btn-small']/@href")
    assert links == [f"/entri/{first.id}/pakai-lagi", f"/entri/{second.id}/pakai-lagi"]
    assert "Lebih lama" not in doc.text_content() and "ada 2 entri" in doc.text_content()
    form = page(web.get(links[1]))
    assert form.xpath("//textarea[@name='activity']")[0].text == "Menyusun notula siang"
    assert form.xpath("//input[@name='entry_date']/@value")[0] == TODAY.isoformat()


def test_copy_yesterday_with_one_entry_opens_the_filled_form_at_once(web, asn, make_entry):
    make_entry(asn, TODAY - timedelta(days=1), activity="Satu-satunya")
    doc = page(web.get("/entri/salin-kemarin"))
    assert doc.xpath("//textarea[@name='activity']")[0].text == "Satu-satunya"


# --- the output-code search ----------------------------------------------------------------------------------------

def codes(q):
    from silabu.entries.codes import find_codes

    return [c.code for c in find_codes(q)]


def test_code_search_takes_words_in_any_order_without_case_or_punctuation(db, org):
    from silabu.catalog.models import OutputCode

    name = db.session.scalar(db.select(OutputCode.name).where(OutputCode.code == OTHER_CODE))  # "Layanan Manajemen Keuangan"
    first, *_, last = name.split()
    assert OTHER_CODE in codes(f"{last.upper()}, {first.lower()}!")
    assert OTHER_CODE in codes("ebd 955") and OTHER_CODE in codes("EBD.955")
    assert codes("zzz tidak ada") == []


def test_code_search_finds_codes_through_activities_colleagues_logged(asn, make_asn, make_entry, db):
    colleague = make_asn(name="Rekan Kerja")
    make_entry(colleague, TODAY, output_code=OTHER_CODE, activity="Memeriksa SPM gaji bulan Agustus")
    found = codes("spm gaji")
    assert found[0] == OTHER_CODE and len(found) == 1
    assert codes("gaji rapat") == []  # every word in the same activity


def test_api_and_page_use_the_same_search_and_say_when_nothing_matches(web, asn, make_asn, make_entry, api_token,
                                                                       client):
    make_entry(make_asn(name="Rekan"), TODAY, output_code=OTHER_CODE, activity="Rapat persiapan SPM")
    items = client.get("/api/v1/output-codes?q=RAPAT", headers=api_token(asn)).json["items"]
    assert [i["code"] for i in items] == [OTHER_CODE] and "activity" not in items[0]
    doc = page(web.get("/kode?q=rapat"))
    assert OTHER_CODE in doc.text_content()
    nothing = page(web.get("/kode?q=qwerty+asdf"))
    assert 'Tidak ada kode yang cocok dengan "qwerty asdf"' in nothing.text_content()
