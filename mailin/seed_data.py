"""Demo mailbox for `manage.py seed_demo` (settings.DEMO_SEEDERS): one disabled IMAP mailbox so the
admin shows how one is configured, and a few logged mails (two waiting in the triage list, one
ignored auto-reply). Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .choices import InboundStatus, OpenAs, Security
from .crypto import password_encrypt
from .models import InboundMail, Mailbox

# (minutes ago, sender, name, subject, text, status, reason)
DEMO_MAILS = (
    (95, "zhang.wei@partner-example.cn", "张伟", "咨询：贵单位监控平台的维保范围",
     "您好，我们是新接手的集成商，想了解监控平台维保合同的服务范围和报修方式。谢谢！", InboundStatus.TRIAGE,
     "Unknown sender"),
    (40, "newsletter@vendor-example.com", "Vendor news", "Monthly product update",
     "Our new firmware is out.", InboundStatus.TRIAGE, "Unknown sender"),
    (20, "noreply@hospital-example.cn", "", "自动回复：外出",
     "我正在休假，12 月 10 日返回。", InboundStatus.IGNORED, "Automatic reply or loop: Auto-Submitted: auto-replied"),
)


def seed(*, now: datetime, stdout: Any) -> None:
    if Mailbox.objects.exists():
        return
    box = Mailbox.objects.create(
        name="服务台邮箱 (demo)", is_active=False, host="imap.example.com", port=993, security=Security.SSL,
        username="servicedesk@example.com", password_encrypted=password_encrypt("change-me"), folder="INBOX",
        address="servicedesk@example.com", open_as=OpenAs.REQUEST, incident_keywords="故障\n中断\ndown\noutage",
    )
    for index, (minutes, sender, name, subject, body, status, reason) in enumerate(DEMO_MAILS, start=1):
        InboundMail.objects.create(mailbox=box, uidvalidity=1, uid=index, status=status, from_address=sender,
                                   from_name=name, subject=subject, body=body, reason=reason,
                                   received_at=now - timedelta(minutes=minutes), processed_at=now)
    stdout.write("Demo mailbox (disabled) and mails in the e-mail triage created: admin → E-mail intake → Mailboxes.")
