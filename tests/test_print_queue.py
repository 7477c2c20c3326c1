"""A print never holds the server's threads beyond pool.WAITING requests: once that many wait
for the PDF workers, the next print becomes a background job with its progress page (no
JavaScript: it refreshes itself) and the PDF to download, audited as any print."""

import io
import time

from pypdf import PdfReader

from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.printing import pool
from tests._helpers import _pdf, _text
from tests.conftest import client_as


def test_a_print_beyond_the_waiting_ones_becomes_a_job_with_a_progress_page(demo_app, monkeypatch):
    client = client_as(demo_app, "cun01")
    with demo_app.app_context():
        person = Person.select().where(Person.village == 1).order_by(Person.id).first()
        audits = AuditLog.select().count()
    url = f"/persons/{person.id}/archive.pdf"
    assert person.name in _text(_pdf(client, url))  # a free slot: the PDF itself
    monkeypatch.setattr(pool, "WAITING", 0)  # the workers have their hands full
    response = client.get(url)
    assert response.status_code == 303
    job = response.location
    assert job.startswith("/print/jobs/")
    for _ in range(120):
        page = client.get(job).get_data(as_text=True)
        if "下载 PDF" in page:
            break
        assert 'http-equiv="refresh"' in page and "正在生成" in page
        time.sleep(0.5)
    assert f"一人一档-{person.name}" in page
    reader = PdfReader(io.BytesIO(client.get(job + ".pdf").get_data()))
    assert person.name in _text(reader)
    with demo_app.app_context():
        assert AuditLog.select().count() >= audits + 2  # both prints audited
    other = client_as(demo_app, "cun02")
    assert other.get(job).status_code == 404 and other.get(job + ".pdf").status_code == 404


def test_a_job_in_the_workers_hands_counts_and_slots_are_given_back(monkeypatch):
    monkeypatch.setattr(pool, "WAITING", 2)
    monkeypatch.setattr(pool, "_in_flight", [0])
    pool.job_started()  # a background job's chunks
    with pool.waiting_slot() as first:
        with pool.waiting_slot() as second:
            assert first and not second
    pool.job_ended()
    with pool.waiting_slot() as one, pool.waiting_slot() as two:
        assert one and two
    assert pool._in_flight == [0]
