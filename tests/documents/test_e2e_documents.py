"""Browser journey in the system Chromium: the document admin files a document with its first
file (the CI list follows the chosen organisation via htmx), uploads version 2 and publishes it;
the customer, on a phone, finds it under Documents and downloads both versions.
Screenshots go to test-artifacts/documents-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.choices import Role
from documents.models import Document
from tests.factories import PASSWORD, CIFactory, CustomerFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def test_docadmin_files_and_publishes_customer_downloads(run_with_browser, live_server, artifacts, tmp_path):
    run_with_browser(lambda browser: journey(browser, live_server, artifacts, tmp_path))


def login(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def journey(browser: Any, live_server: Any, artifacts: Path, tmp_path: Path) -> None:
    org = OrganizationFactory(name="Harbour Authority", code="harbour")
    other = OrganizationFactory(name="Other Org", code="other")
    ci = CIFactory(organization=org, name="Quay camera 3")
    CIFactory(organization=other, name="Foreign firewall")
    UserFactory(username="doc_li", name="Li Doc", role=Role.DOC_ADMIN)
    CustomerFactory(username="harbour_user", organization=org)

    staff = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai")
    staff.set_default_timeout(45_000)
    page = staff.new_page()
    login(page, live_server.url, "doc_li")
    page.goto(f"{live_server.url}/documents/")
    page.click("a:has-text('New document')")
    page.fill("#id_title", "Quay camera circuit data")
    page.select_option("#id_category", "circuit_data")
    page.select_option("#id_organization", str(org.pk))
    page.locator("#id_cis option").first.wait_for(state="attached")
    options = page.locator("#id_cis option").all_inner_texts()
    assert any("Quay camera 3" in o for o in options) and not any("Foreign" in o for o in options)
    page.select_option("#id_cis", [str(ci.pk)])
    page.set_input_files("#id_file", files=[{"name": "circuits.txt", "mimeType": "text/plain",
                                             "buffer": b"line 1: port 3\n"}])
    page.fill("#id_note", "first survey")
    page.screenshot(path=str(artifacts / "documents-01-new.png"), full_page=True)
    page.click("button:has-text('File the document')")
    page.wait_for_url(re.compile(r"/documents/\d+/$"))
    doc = Document.objects.get(title="Quay camera circuit data")
    assert doc.latest_number == 1 and list(doc.cis.all()) == [ci]

    page.click("summary:has-text('Upload a new version')")
    page.set_input_files("#upload input[type=file]", files=[{"name": "circuits.txt", "mimeType": "text/plain",
                                                            "buffer": b"line 1: port 4\n"}])
    page.fill("#upload textarea", "port moved")
    page.click("button:has-text('Upload as version 2')")
    page.wait_for_url(re.compile(r"/documents/\d+/$"))
    assert "Version 2 uploaded." in page.locator(".messages").inner_text()
    page.click("button:has-text('Publish to the customer')")
    assert "Published" in page.locator(".messages").inner_text()
    page.screenshot(path=str(artifacts / "documents-02-detail.png"), full_page=True)
    staff.close()

    phone = browser.new_context(viewport=PHONE, locale="en-US", timezone_id="Asia/Shanghai", is_mobile=True,
                                has_touch=True, accept_downloads=True)
    phone.set_default_timeout(45_000)
    page = phone.new_page()
    login(page, live_server.url, "harbour_user")
    page.wait_for_url(re.compile(r"/portal/$"))
    page.click(".p-nav a:has-text('Documents')")
    page.click("text=Quay camera circuit data")
    page.screenshot(path=str(artifacts / "documents-03-portal.png"), full_page=True)
    with page.expect_download() as latest:
        page.click("a:has-text('Download the latest version (v2)')")
    assert Path(latest.value.path()).read_bytes() == b"line 1: port 4\n"
    with page.expect_download() as first:
        page.click(".p-list a:has-text('v1')")
    assert Path(first.value.path()).read_bytes() == b"line 1: port 3\n"
    phone.close()
