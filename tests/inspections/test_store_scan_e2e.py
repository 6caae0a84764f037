"""Issue 14 on a phone (375 px, Chinese): the store check's counts go through the same offline
queue as the answers (a UUID per count, accepted once), and a CI is found by the camera: a fake
camera (Chromium's --use-file-for-fake-video-capture) films a QR code with the CI's asset tag; with
no BarcodeDetector in this Chromium (Linux) the vendored ZXing decodes it. Typing a code still works."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import segno
from PIL import Image

from inspections.models import InspectionRound, StoreCount
from inspections.services import rounds_generate
from spares.choices import MovementKind
from spares.services import movement_request, spare_part_create, storeroom_create
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login

from .conftest import at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_store_count_on_a_phone_goes_through_the_offline_queue_once(browser, live_server, make_plan, eng, now):
    ARTIFACTS.mkdir(exist_ok=True)
    room = storeroom_create(actor=eng, name="备件库", code="store-1")
    lens = spare_part_create(actor=eng, now=now, data={"part_number": "CAM-LENS", "name": "镜头"})
    fan = spare_part_create(actor=eng, now=now, data={"part_number": "FAN-1", "name": "风扇"})
    movement_request(part_id=lens.pk, kind=MovementKind.RECEIVE, quantity=10, actor=eng, now=now, to_storeroom=room)
    movement_request(part_id=fan.pk, kind=MovementKind.RECEIVE, quantity=4, actor=eng, now=now, to_storeroom=room)
    plan = make_plan("spares-store-check", frequency="quarterly", storeroom=room, assignee=eng)
    rounds_generate(now=at(2026, 11, 2), plan_ids=[plan.pk], until=date(2026, 11, 3))
    ticket = InspectionRound.objects.get(plan=plan)

    page = login(browser, live_server.url, "eng", locale="zh-CN", viewport=PHONE)
    page.goto(f"{live_server.url}/inspections/rounds/{ticket.pk}/do/")
    page.locator("#insp[data-offline-ready='1']").wait_for(timeout=15_000)
    page.context.set_offline(True)
    part = page.locator(f".insp-part[data-part='{lens.pk}']")
    part.locator("input").fill("7")
    part.locator("button").click()
    page.locator("#insp[data-pending='1']").wait_for()
    assert not StoreCount.objects.exists()  # offline: kept on the phone
    page.reload()  # the service worker serves the page; the count comes back from storage
    page.locator("#insp[data-pending='1']").wait_for()
    assert page.locator(f"#insp-part-{lens.pk}").input_value() == "7"
    shot(page, ARTIFACTS, "inspection-store-01-offline")
    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.locator("#insp[data-pending='0']").wait_for(timeout=15_000)
    count = StoreCount.objects.get()
    assert (count.part_id, count.booked, count.counted, count.difference) == (lens.pk, 10, 7, -3)
    assert count.uuid is not None and count.movement is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 380, width
    shot(page, ARTIFACTS, "inspection-store-02-sent")
    # The phone resends the same count (e.g. the answer was lost): accepted once, nothing new.
    resend = page.evaluate("""(args) => {
      const f = new FormData(); f.append("uuid", args.uuid); f.append("part", args.part); f.append("counted", "7");
      const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
      return fetch(args.url, {method: "POST", body: f, headers: {"X-CSRFToken": token, "Accept": "application/json"},
                   credentials: "same-origin"}).then(r => r.status);
    }""", {"uuid": str(count.uuid), "part": lens.pk, "url": f"/inspections/rounds/{ticket.pk}/count/"})
    assert resend == 200 and StoreCount.objects.count() == 1


def _qr_y4m(text: str, path: Path) -> None:
    """A 640×480 grey video (Y4M, 4:2:0) of a QR code: Chromium's fake camera plays it in a loop."""
    qr = segno.make(text, error="m")
    img = Image.new("L", (640, 480), 255)
    code = Image.open(__import__("io").BytesIO(_png(qr))).convert("L").resize((360, 360), Image.NEAREST)
    img.paste(code, (140, 60))
    y = img.tobytes()
    uv = bytes([128]) * (320 * 240)
    with path.open("wb") as fh:
        fh.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _n in range(10):
            fh.write(b"FRAME\n" + y + uv + uv)


def _png(qr) -> bytes:
    import io

    out = io.BytesIO()
    qr.save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def test_camera_scan_finds_the_ci_and_typing_still_works(browser, live_server, make_plan, cameras, eng, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    target = cameras[2]
    target.asset_tag = "AT-CAM-0003"
    target.save()
    plan = make_plan("monthly-system", cis=cameras[:3], assignee=eng)
    rounds_generate(now=at(2026, 11, 2), plan_ids=[plan.pk], until=date(2026, 11, 3))
    ticket = InspectionRound.objects.get(plan=plan)
    video = tmp_path / "qr.y4m"
    _qr_y4m(target.asset_tag, video)
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        page = login(camera_browser, live_server.url, "eng", locale="zh-CN", viewport=PHONE)
        page.context.grant_permissions(["camera"], origin=live_server.url)
        page.goto(f"{live_server.url}/inspections/rounds/{ticket.pk}/do/")
        assert page.evaluate("() => 'BarcodeDetector' in window") is False  # so ZXing does the decoding
        page.locator("#insp-scan-camera").click()
        page.locator("#insp-ci-name", has_text=target.name).wait_for(timeout=20_000)
        assert page.locator("#insp-video").is_hidden()  # the camera is stopped after a hit
        shot(page, ARTIFACTS, "inspection-scan-01-found-by-camera")
        # Typing (or pasting) a code still works.
        page.locator("#insp-back").click()
        page.fill("#insp-code", cameras[1].name)
        page.locator("#insp-scan button[type=submit]").click()
        page.locator("#insp-ci-name", has_text=cameras[1].name).wait_for()
        page.context.close()
    finally:
        camera_browser.close()
