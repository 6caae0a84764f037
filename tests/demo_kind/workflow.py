"""The demo kind's table. `approve`/`reject` are taken only by a settled approval (the kernel's
guard) — by a user, or by a contact answering by signed link; `auto_done` only by the system."""

from accounts.choices import Role
from tickets.approvals import approval_step_decides
from tickets.workflow import Transition, Workflow, sources

from .models import DemoStatus as S

STAFF = frozenset(r for r in Role if r != Role.CUSTOMER)
EVERYONE = frozenset(Role)
APPROVING = sources(S.COMPANY_APPROVAL, S.CUSTOMER_APPROVAL)

DEMO_WORKFLOW = Workflow((
    Transition("submit", "Submit", sources(S.DRAFT), S.COMPANY_APPROVAL, STAFF),
    Transition("approve", "Approve", APPROVING, None, EVERYONE, guard=approval_step_decides,
               actors=frozenset({"signed_link"})),
    Transition("reject", "Reject", APPROVING, S.REJECTED, EVERYONE, requires=("reason",),
               guard=approval_step_decides, actors=frozenset({"signed_link"})),
    Transition("finish", "Finish", sources(S.APPROVED), S.DONE, STAFF | {Role.CUSTOMER}),
    Transition("auto_done", "Done (system)", sources(S.APPROVED), S.DONE, frozenset(), actors=frozenset({"system"})),
))
