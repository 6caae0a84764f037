"""Who may act on accounts and on the audit chains: the one access check for users (README "Roles and
permissions"). Roles are ranked; nobody acts on an account at or above their own rank, nobody
grants a role at or above it, so only a superuser (admin) makes managers or touches a manager's
account. Views and services ask these functions; none of them repeats the rule."""

from __future__ import annotations

from typing import Any

from .choices import Role

SUPERUSER_RANK = 100

# Higher outranks lower. Roles of equal rank cannot act on each other's accounts.
ROLE_RANK: dict[str, int] = {
    Role.MANAGER: 50,
    Role.REGIONAL_LEAD: 40,
    Role.SUPERVISOR: 30,
    Role.DISPATCHER: 20,
    Role.ANALYST: 20,
    Role.ENGINEER: 20,
    Role.OPERATOR: 20,
    Role.DOC_ADMIN: 20,
    Role.CUSTOMER: 0,
    Role.AUDITOR: 0,
}

# Roles that may verify every audit chain at once (GET audit/verify/ without an id). Anyone may
# verify one ticket they can see.
AUDIT_FULL_VERIFY_ROLES = frozenset({Role.MANAGER, Role.ANALYST})


def user_rank(user: Any) -> int:
    """The rank of an account, active or not (a deactivated manager is still a manager's account)."""
    if not getattr(user, "is_authenticated", False):
        return -1
    if user.is_superuser:
        return SUPERUSER_RANK
    return ROLE_RANK.get(user.role, 0)


def can_manage_accounts(user: Any) -> bool:
    """Create and change accounts at all (below their own rank): superusers and managers."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (user.is_superuser or user.role == Role.MANAGER))


def can_grant_role(user: Any, role: str, *, is_superuser: bool = False) -> bool:
    """Give an account `role` (and superuser status): only roles strictly below the actor's rank."""
    if not can_manage_accounts(user):
        return False
    wanted = SUPERUSER_RANK if is_superuser else ROLE_RANK.get(role, SUPERUSER_RANK)
    return wanted < user_rank(user)


def can_change_account(user: Any, target: Any) -> bool:
    """Change `target`'s account (name, contact data, role, organisation, active flag, password):
    only an account strictly below the actor's rank; never one's own through the admin path."""
    return can_manage_accounts(user) and target.pk != user.pk and user_rank(target) < user_rank(user)


def can_verify_all_audit_chains(user: Any) -> bool:
    """Run the full verification over every ticket (it reads every event of every ticket)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (user.is_superuser or user.role in AUDIT_FULL_VERIFY_ROLES))
