"""CAB votes and customer approvals move onto the kernel's approval step (issue #18).

Every CAB round becomes an internal `tickets.Approval` (stage "cab", its round) with the voters (and,
for a round still open, the CAB's other active members) as `Approver` rows; every customer approval
becomes an Approval (stage "customer") whose link row keeps the e-mail address, the nonce (so links
e-mailed before still work), when it was e-mailed and used, and whose deciding row keeps who decided,
when, the comment and the channel. The old tables stay, renamed Legacy…, read-only; each old
customer approval points at its new Approval (`migrated_to`). `CABVote` and `CustomerApproval` are
now proxy models reading the new rows."""

import secrets

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _name(user):
    if user is None:
        return ""
    return (user.name or f"{user.first_name} {user.last_name}".strip() or user.username)[:150]


def _cab_state(change, votes, round_):
    if any(v.decision == "reject" for v in votes):
        return "rejected"
    if round_ == change.cab_round and change.cab_approved_at is not None:
        return "approved"
    return "withdrawn"


def forwards(apps, schema_editor):
    Change = apps.get_model("changes", "Change")
    Vote = apps.get_model("changes", "LegacyCABVote")
    Legacy = apps.get_model("changes", "LegacyCustomerApproval")
    Approval = apps.get_model("tickets", "Approval")
    Approver = apps.get_model("tickets", "Approver")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    change_ids = set(Vote.objects.values_list("change_id", flat=True))
    change_ids |= set(Change.objects.filter(status="cab_approval").values_list("pk", flat=True))
    for change in Change.objects.filter(pk__in=change_ids).select_related("cab").order_by("pk"):
        votes = list(Vote.objects.filter(change=change).select_related("member").order_by("created_at", "pk"))
        rounds = sorted({v.round for v in votes} | ({change.cab_round} if change.status == "cab_approval" else set()))
        for round_ in rounds:
            mine = [v for v in votes if v.round == round_]
            is_open = change.status == "cab_approval" and round_ == change.cab_round
            cab = change.cab
            start = (mine[0].created_at if mine else None) or change.assessed_at or change.submitted_at \
                or change.reported_at
            state = "pending" if is_open else _cab_state(change, mine, round_)
            decided_at = None if is_open else (
                mine[-1].created_at if mine and state != "withdrawn" else (change.cancelled_at or change.updated_at))
            approval = Approval.objects.create(
                ticket_kind="change", ticket_id=change.pk, stage="cab", round=max(round_, 1), internal=True,
                rule="all" if cab is not None and cab.rule == "all" else "quorum",
                quorum=cab.quorum if cab is not None else 1, state=state, approve_action="approve",
                reject_action="reject", created_at=start, decided_at=decided_at, escalate_to_id=change.assignee_id)
            rows = [Approver(approval=approval, position=i, user=v.member, email=v.member.email or "",
                             name=_name(v.member), nonce=secrets.token_urlsafe(16), decision=v.decision,
                             decided_at=v.created_at, decided_via="portal", decided_by_name=_name(v.member),
                             comment=v.comment) for i, v in enumerate(mine)]
            if is_open and cab is not None:
                voted = {v.member_id for v in mine}
                for user in cab.members.filter(is_active=True).exclude(pk__in=voted).order_by("pk"):
                    rows.append(Approver(approval=approval, position=len(rows), user=user, email=user.email or "",
                                         name=_name(user), nonce=secrets.token_urlsafe(16)))
            Approver.objects.bulk_create(rows)

    counts = {}
    for old in Legacy.objects.select_related("change", "change__contact", "decided_by").order_by(
            "change_id", "created_at", "pk"):
        change = old.change
        counts[change.pk] = counts.get(change.pk, 0) + 1
        decision = {"approved": "approve", "rejected": "reject"}.get(old.state, "")
        approval = Approval.objects.create(
            ticket_kind="change", ticket_id=change.pk, stage="customer", round=counts[change.pk], internal=False,
            rule="quorum", quorum=1, state=old.state, approve_action="approve", reject_action="reject",
            created_at=old.created_at, decided_at=old.decided_at, escalate_to_id=change.assignee_id)
        rows = []
        decided_on_link = False
        if old.email:
            by_link = bool(decision) and old.decided_via == "link"
            decided_on_link = by_link
            contact = change.contact
            rows.append(Approver(
                approval=approval, position=0, user=None, email=old.email, name=contact.name if contact else "",
                nonce=old.nonce, emailed_at=old.emailed_at, used_at=old.used_at,
                decision=decision if by_link else "", decided_at=old.decided_at if by_link else None,
                decided_via="link" if by_link else "", decided_by_name=old.decided_by_name if by_link else "",
                comment=old.comment if by_link else ""))
        if decision and not decided_on_link:
            user = old.decided_by
            rows.append(Approver(
                approval=approval, position=len(rows), user=user, email=(user.email if user else "") or "",
                name=_name(user) or old.decided_by_name, nonce=secrets.token_urlsafe(16), decision=decision,
                decided_at=old.decided_at, decided_via=old.decided_via or "portal",
                decided_by_name=old.decided_by_name or _name(user), comment=old.comment))
        if old.state == "pending":
            for user in User.objects.filter(organization_id=change.organization_id, role="customer",
                                            is_active=True).order_by("pk"):
                rows.append(Approver(approval=approval, position=len(rows), user=user, email=user.email or "",
                                     name=_name(user), nonce=secrets.token_urlsafe(16)))
        Approver.objects.bulk_create(rows)
        old.migrated_to = approval
        old.save(update_fields=["migrated_to"])


class Migration(migrations.Migration):

    dependencies = [
        ("changes", "0003_rename_channel_customerapproval_decided_via"),
        ("tickets", "0010_approval_round_internal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("CABVote", "LegacyCABVote"),
        migrations.RenameModel("CustomerApproval", "LegacyCustomerApproval"),
        migrations.AlterModelOptions(
            name="legacycabvote",
            options={"ordering": ["created_at", "id"], "verbose_name": "CAB vote (before the approval step)",
                     "verbose_name_plural": "CAB votes (before the approval step)"},
        ),
        migrations.AlterModelOptions(
            name="legacycustomerapproval",
            options={"ordering": ["-created_at", "-id"],
                     "verbose_name": "customer approval (before the approval step)",
                     "verbose_name_plural": "customer approvals (before the approval step)"},
        ),
        migrations.AlterField(
            model_name="legacycabvote", name="change",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="changes.change", verbose_name="change"),
        ),
        migrations.AlterField(
            model_name="legacycustomerapproval", name="change",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="changes.change", verbose_name="change"),
        ),
        migrations.AddField(
            model_name="legacycustomerapproval", name="migrated_to",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="tickets.approval", verbose_name="moved to"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.CreateModel(
            name="CABVote", fields=[],
            options={"verbose_name": "CAB vote", "verbose_name_plural": "CAB votes", "ordering": ["decided_at", "id"],
                     "proxy": True, "indexes": [], "constraints": []},
            bases=("tickets.approver",),
        ),
        migrations.CreateModel(
            name="CustomerApproval", fields=[],
            options={"verbose_name": "customer approval", "verbose_name_plural": "customer approvals",
                     "ordering": ["-created_at", "-id"], "proxy": True, "indexes": [], "constraints": []},
            bases=("tickets.approval",),
        ),
    ]
