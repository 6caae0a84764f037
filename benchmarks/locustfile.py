"""Load test of OpsDesk's API with realistic role mixes (locust, headless, bounded). Run by
benchmarks/run_load.sh; by hand:

    locust -f benchmarks/locustfile.py --headless -u 50 -r 5 -t 5m --host http://127.0.0.1:8011

Users (password OPSDESK_BENCH_PASSWORD, default opsdesk-demo-2026) come from `seed_bulk`
(bulk_operator, bulk_dispatcher, bulk_engineer_NNN) plus `bulk_customer_NN` that run_load.sh adds.
Weights: customers 4, engineers 3, operators 2, dispatchers 1 (a desk has many more customers and
engineers than dispatchers). Every request is named by its type (`name=`), so ids in paths do not
split the statistics. Only loopback hosts are accepted."""

from __future__ import annotations

import itertools
import os
import random
import urllib.parse
from typing import Any

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("OPSDESK_BENCH_PASSWORD", "opsdesk-demo-2026")
ENGINEERS = int(os.environ.get("OPSDESK_BENCH_ENGINEERS", "10"))
CUSTOMERS = int(os.environ.get("OPSDESK_BENCH_CUSTOMERS", "5"))
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_engineer_numbers = itertools.cycle(range(1, ENGINEERS + 1))
_customer_numbers = itertools.cycle(range(1, CUSTOMERS + 1))
_tokens: dict[str, str] = {}
# run_load.sh issues the API tokens before the run (a desk's people and integrations hold tokens; fifty
# people do not all sign in within ten seconds) and measures signing in separately: with this file the
# simulated users start with their token instead of a password POST.
if os.environ.get("OPSDESK_BENCH_TOKENS"):
    import json

    with open(os.environ["OPSDESK_BENCH_TOKENS"], encoding="utf-8") as _f:
        _tokens.update(json.load(_f))


@events.test_start.add_listener
def _loopback_only(environment: Any, **kwargs: Any) -> None:
    host = urllib.parse.urlsplit(environment.host or "").hostname or ""
    if host not in LOOPBACK:
        raise SystemExit("This load test only runs against a loopback address.")


class DeskUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # think time: a person reads what they opened
    username = ""

    def on_start(self) -> None:
        # One login per account (simulated users of the same account share its token, as a person's
        # tabs do): password hashing is deliberately slow and would otherwise dominate a short run.
        token = _tokens.get(self.username)
        if token is None:
            response = self.client.post("/api/v1/auth/token/", json={"username": self.username, "password": PASSWORD},
                                        name="POST auth/token/")
            response.raise_for_status()
            token = _tokens.setdefault(self.username, str(response.json()["token"]))
        self.client.headers["Authorization"] = f"Token {token}"
        self.client.headers["Accept-Language"] = random.choice(["zh-hans", "en"])
        self.seen: list[int] = []

    def _ids(self, response: Any) -> list[int]:
        try:
            return [int(row["id"]) for row in response.json().get("results", [])]
        except (ValueError, AttributeError, KeyError, TypeError):
            return []

    def _detail(self) -> None:
        if self.seen:
            self.client.get(f"/api/v1/incidents/{random.choice(self.seen)}/", name="GET incidents/{id}/")


class Operator(DeskUser):
    """Hotline: takes calls (creates incidents) and looks them up."""
    weight = 2

    def on_start(self) -> None:
        self.username = "bulk_operator"
        super().on_start()
        orgs = self.client.get("/api/v1/organizations/?page_size=200", name="GET organizations/").json()
        self.orgs = [int(o["id"]) for o in orgs.get("results", [])] or [0]

    @task(3)
    def create(self) -> None:
        response = self.client.post("/api/v1/incidents/", name="POST incidents/", json={
            "organization": random.choice(self.orgs), "title": f"负载测试报障 {random.randint(1, 10**9)}",
            "description": "locustfile.py", "impact": random.choice(["low", "medium", "high"]),
            "urgency": random.choice(["low", "medium", "high"]), "channel": "phone"})
        if response.status_code == 201:
            self.seen = (self.seen + [int(response.json()["id"])])[-50:]

    @task(2)
    def detail(self) -> None:
        self._detail()


class Dispatcher(DeskUser):
    """Watches the queue and assigns new incidents to engineers."""
    weight = 1

    def on_start(self) -> None:
        self.username = "bulk_dispatcher"
        super().on_start()
        self.engineers: list[int] = []

    @task(4)
    def queue(self) -> None:
        self.seen = self._ids(self.client.get("/api/v1/incidents/queue/", name="GET incidents/queue/")) or self.seen

    @task(2)
    def detail(self) -> None:
        self._detail()

    @task(1)
    def assign(self) -> None:
        if not self.seen:
            return
        if not self.engineers:
            users = self.client.get("/api/v1/users/?role=engineer&page_size=50", name="GET users/?role=engineer")
            self.engineers = self._ids(users)
            if not self.engineers:
                return
        incident = self.seen.pop(random.randrange(len(self.seen)))
        with self.client.post(f"/api/v1/incidents/{incident}/transition/", name="POST incidents/{id}/transition/",
                              json={"action": "assign", "assignee": random.choice(self.engineers)},
                              catch_response=True) as response:
            if response.status_code in (400, 409):
                response.success()  # another dispatcher got there first: a normal race, not an error


class Engineer(DeskUser):
    """Works through their own list."""
    weight = 3

    def on_start(self) -> None:
        self.username = f"bulk_engineer_{next(_engineer_numbers):03d}"
        super().on_start()

    @task(4)
    def mine(self) -> None:
        self.seen = self._ids(self.client.get("/api/v1/incidents/mine/", name="GET incidents/mine/")) or self.seen

    @task(3)
    def detail(self) -> None:
        self._detail()

    @task(1)
    def progress(self) -> None:
        if self.seen:
            self.client.get(f"/api/v1/incidents/{random.choice(self.seen)}/progress/",
                            name="GET incidents/{id}/progress/")


class Customer(DeskUser):
    """A customer's staff following their organisation's incidents (tenancy: their own only)."""
    weight = 4

    def on_start(self) -> None:
        self.username = f"bulk_customer_{next(_customer_numbers):02d}"
        super().on_start()

    @task(3)
    def incidents(self) -> None:
        self.seen = self._ids(self.client.get("/api/v1/incidents/", name="GET incidents/ (customer)")) or self.seen

    @task(2)
    def open_incidents(self) -> None:
        self.client.get("/api/v1/incidents/?status=in_progress", name="GET incidents/?status (customer)")

    @task(2)
    def detail(self) -> None:
        self._detail()
