"""Accounts: users, their roles per city and network, sign-in with lock-out, sessions and API tokens; the
permission policy.

The service is split by what changes together: :mod:`~bettercities.access.users` (create, look up, disable
and enable users), :mod:`~bettercities.access.roles` (grant and revoke roles in cities and networks, and the
principal those roles make), :mod:`~bettercities.access.sessions` (sign-in with lock-out, password changes,
sign-in sessions) and :mod:`~bettercities.access.tokens` (API tokens and the principal a token stands for).
:mod:`~bettercities.access.policy` decides what a principal may do; :mod:`~bettercities.access.queries`
holds the read use cases the faces share.
"""

from bettercities.access.roles import grant, grant_network, principal_for, revoke, revoke_network
from bettercities.access.schemas import (
    IssuedToken,
    MembershipOut,
    NetworkMembershipOut,
    TokenOut,
    UserOut,
)
from bettercities.access.sessions import (
    LoginRefused,
    authenticate,
    change_password,
    end_session,
    purge_sessions,
    resolve_session,
    set_password,
    sign_in_subject,
    start_session,
)
from bettercities.access.tokens import issue_token, list_tokens, resolve_token, revoke_token
from bettercities.access.users import create_user, disable_user, enable_user, get_user, list_users, user_out

__all__ = [
    "IssuedToken",
    "LoginRefused",
    "MembershipOut",
    "NetworkMembershipOut",
    "TokenOut",
    "UserOut",
    "authenticate",
    "change_password",
    "create_user",
    "disable_user",
    "enable_user",
    "end_session",
    "get_user",
    "grant",
    "grant_network",
    "issue_token",
    "list_tokens",
    "list_users",
    "principal_for",
    "purge_sessions",
    "resolve_session",
    "resolve_token",
    "revoke",
    "revoke_network",
    "revoke_token",
    "set_password",
    "sign_in_subject",
    "start_session",
    "user_out",
]
