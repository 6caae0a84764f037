"""Objects of organisation A that each app adds to the tenancy walk (tests/test_tenancy_walk.py).

A module here defines

    def contribute(*, org_a, customer_a, ci, incident, contact, operator, engineer, now) -> dict

returning {"ids": {key: [pk, …]}, "secrets": [text only A's pages show], "params": {needle: key}}:
"params" teaches the walk that a path parameter whose name contains `needle` takes ids[key]
(e.g. {"problem": "problem"} for `<int:problem_pk>`). Every module is picked up automatically.
"""
