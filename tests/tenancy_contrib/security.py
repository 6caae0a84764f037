"""Organisation A's security follow-up for the tenancy walk: a vulnerability finding on A's CI (from
an imported generic CSV), the import, an unmatched row and A's CI's antivirus status."""

from __future__ import annotations

from typing import Any

from security.models import Finding, UnmatchedRow
from security.services import antivirus_report, scan_import_apply, scan_import_preview


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    csv = (f"CVE,CVSS,Host,Port,Name,Solution\nCVE-2024-3094,10.0,{ci.name},22/tcp,Alpha xz backdoor,Alpha downgrade\n"
           "CVE-2024-6387,8.1,10.77.77.77,22/tcp,Alpha regreSSHion,Alpha patch\n").encode()
    scan = scan_import_preview(organization=org_a, content=csv, filename="alpha-scan.csv", full_scan=False,
                               actor=engineer, now=now)
    scan_import_apply(import_id=scan.pk, actor=engineer, now=now)
    antivirus_report(ci=ci, actor=engineer, source="api", now=now, data={"product": "Alpha AV Suite",
                                                                          "last_scan_result": "clean"})
    return {
        "ids": {"security_finding": [Finding.objects.get(ci=ci).pk], "scan_import": [scan.pk],
                "unmatched_row": [UnmatchedRow.objects.get(organization=org_a).pk]},
        "secrets": ["Alpha xz backdoor", "Alpha regreSSHion", "alpha-scan.csv", "Alpha AV Suite"],
        "params": {},
    }
