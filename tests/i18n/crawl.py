"""Walk every page a user can reach (the URL resolver's argument-free pages, then the links found on
each page) and find English words in the visible text of a Chinese page that are not data."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

# Brand words, formats and units that stay in Latin letters in the Chinese UI.
ALLOWED = {
    "opsdesk", "ops", "desk", "api", "csv", "pdf", "excel", "xlsx", "cmdb", "sla", "kpi", "id", "url", "ip", "rfc", "cab", "ups",
    "ical", "wecom", "dingtalk", "feishu", "sms", "e-mail", "email", "json", "http", "https", "openapi", "swagger",
    "outlook", "thunderbird", "utf", "bom", "gb", "mb", "kb", "ms", "min", "asia", "shanghai", "english", "inc",
    "req", "prb", "ke", "chg", "rel", "st", "fo", "it", "gis", "vip", "ok", "led", "nvr", "dvr", "poe", "sn", "vs",
    "ii", "iii", "iv", "cpu", "ram", "ssd", "hdd", "raid", "lan", "wan", "vpn", "ap", "wi-fi", "wifi", "qr",
    "mac", "os", "ssl", "tls", "dns", "dhcp", "ntp", "snmp", "aliyun", "iso", "ssid", "cctv", "pc", "usb",
    # keys and format hints
    "ctrl", "enter", "alt", "shift", "esc", "yyyy", "mm", "dd", "hh", "yyyy-mm", "yyyy-mm-dd",
    # products named in CI attribute choices; CMDB import column names
    "mysql", "oracle", "postgresql", "sql", "server", "windows", "linux", "organization", "ci_class", "name", "attr",
    # backup tools and scanners named in choices (assurance, security): product names, not words
    "asterisk",  # the phone system whose CDR export the connect-rate page reads
    "rsync", "disktovhd", "threats", "clean", "xml", ".nessus", "openvas", "greenbone", "nessus", "cve", "cvss", "rma", "ldap", "oidc", "totp",
}
SKIP_PREFIXES = ("/admin/", "/api/", "/logout/", "/i18n/", "/static/", "/media/", "/r/", "/metrics", "/healthz",
                 "/readyz", "/favicon")
SKIP_PARTS = ("export", "download", ".pdf", ".xlsx", ".csv", ".ics", "/file/", "/feed/", "format=")
SKIP_TAGS = {"script", "style", "template", "textarea", "code", "pre", "kbd", "svg"}
VISIBLE_ATTRS = ("placeholder", "title", "aria-label", "alt")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_’']*(?:-[A-Za-z0-9_]+)*")
RUN_RE = re.compile(r"[A-Za-z][A-Za-z0-9_’'-]*(?:[ ,.:;!?/()]+[A-Za-z][A-Za-z0-9_’'-]*)*")
NUMBER_RE = re.compile(r"\b(?:INC|REQ|PRB|KE|CHG|REL|RFC|RPT|DOC)-[\w-]+\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in SKIP_TAGS:
            self.skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in VISIBLE_ATTRS:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data)


def page_text(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts), parser.links


def data_words() -> set[str]:
    """Latin words of every free-text value in the database (names, codes, serials, vendors…):
    data, not UI text. Fields with choices are left out: their labels are UI text."""
    words: set[str] = set()
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField, models.EmailField))
                  and not f.choices and not f.name.startswith("password")]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields)[:5000]:
            for value in row:
                words.update(w.lower() for w in WORD_RE.findall(str(value or "")))
    return words


def english_runs(text: str, allowed: Iterable[str]) -> list[str]:
    """Runs of Latin words with at least one that is neither allowed nor data."""
    ok = {w.lower() for w in allowed} | ALLOWED
    text = NUMBER_RE.sub(" ", text)
    out = []
    for match in RUN_RE.finditer(text):
        raw = WORD_RE.findall(match.group(0))
        # all-capital words of up to five letters are abbreviations (RMA, NVR), not sentences
        # Words with a digit are codes, hashes or models (GB18030, SHA-256, afc6b005, DS-2CD)
        strange = [w.lower() for w in raw if w.lower() not in ok and not (len(w) <= 5 and w.isupper())
                   and not any(c.isdigit() for c in w)]
        if any(len(w) >= 3 for w in strange) or len(strange) >= 2:
            out.append(match.group(0).strip())
    return out


def argument_free_urls() -> list[str]:
    urls: list[str] = []

    def walk(patterns: Iterable[Any], prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                if "<" not in route and "(?P" not in route:
                    walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
                urls.append("/" + (prefix + route).lstrip("/"))

    walk(get_resolver().url_patterns, "")
    return sorted({u for u in urls if not u.startswith(SKIP_PREFIXES)})


def crawl(client: Any, *, allowed: set[str], max_pages: int = 400, per_route: int = 2,
          language: str = "zh-hans", pages: list[str] | None = None) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Visit pages breadth-first from the argument-free URLs; returns {url: English runs} and
    {url: status} of answers that were not 200/3xx/404. `pages`, when given, receives every URL that
    answered an HTML page (the browser walk visits the same ones)."""
    from django.urls import Resolver404, resolve

    queue = deque(argument_free_urls())
    seen: set[str] = set(queue)
    per_name: dict[str, int] = {}
    found: dict[str, list[str]] = {}
    bad: dict[str, int] = {}
    visited = 0
    while queue and visited < max_pages:
        url = queue.popleft()
        try:
            name = resolve(urlsplit(url).path).view_name
        except Resolver404:
            continue
        if per_name.get(name, 0) >= per_route:
            continue
        per_name[name] = per_name.get(name, 0) + 1
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
        visited += 1
        if response.status_code >= 500 or response.status_code not in (200, 403, 404, 405):
            bad[url] = response.status_code
        if "text/html" not in response.get("Content-Type", "") or response.status_code != 200:
            continue
        if pages is not None:
            pages.append(url)
        text, links = page_text(response.content.decode())
        runs = english_runs(text, allowed)
        if runs:
            found[url] = sorted(set(runs))
        for link in links:
            link = urldefrag(link)[0]
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or link in seen:
                continue
            if parts.path.startswith(SKIP_PREFIXES) or any(s in link for s in SKIP_PARTS):
                continue
            seen.add(link)
            queue.append(link)
    return found, bad
