"""The project's own 400 / 403 / 404 / 500 / CSRF pages, in both languages, with navigation and a way
back — not Django's bare English ones (DEBUG off, as in production)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.ui.error_urls"


@pytest.fixture
def staff_client(client_as, operator) -> Client:
    client = client_as(operator)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(("url", "status", "zh", "en"), [
    ("/no-such-page/", 404, "页面不存在", "Page not found"),
    ("/__fail__/403/", 403, "无权访问", "Access denied"),
    ("/__fail__/400/", 400, "请求有误", "Bad request"),
])
def test_error_pages_in_both_languages_with_navigation(staff_client, url, status, zh, en):
    for headers, text, back in ((ZH, zh, "返回上一页"), (EN, en, "Back to the previous page")):
        response = staff_client.get(url, **headers)
        assert response.status_code == status
        html = response.content.decode()
        assert text in html
        assert back in html and 'href="/"' in html
        assert 'class="mainnav"' in html  # the usual navigation of a signed-in user
        assert "favicon.svg" in html
        assert "The requested resource was not found" not in html


def test_404_for_anonymous_offers_login(client):
    response = client.get("/no-such-page/", **ZH)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert 'href="/login/"' in response.content.decode()


def test_500_page_in_both_languages_without_the_database(staff_client):
    for headers, text in ((ZH, "服务器出错了"), (EN, "Something went wrong on our side")):
        with CaptureQueriesContext(connection) as queries:
            response = Client(raise_request_exception=False).get("/__fail__/500/", **headers)
        assert response.status_code == 500
        html = response.content.decode()
        assert text in html and 'href="/"' in html and 'class="mainnav"' in html
        assert not [q for q in queries.captured_queries if "session" not in q["sql"]]
    assert "Server Error (500)" not in html


def test_500_template_renders_without_a_request():
    from django.template import loader
    from django.utils import translation

    with translation.override("zh-hans"):
        html = loader.get_template("500.html").render()
    assert "服务器出错了" in html


@pytest.mark.django_db
def test_csrf_failure_page_in_chinese():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"}, **ZH)
    assert response.status_code == 403
    html = response.content.decode()
    assert "表单已过期" in html
    assert 'href="/"' in html


def test_favicon_is_linked_and_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/static/favicon.svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
