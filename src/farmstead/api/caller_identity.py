"""STS GetCallerIdentity on Farmstead's endpoint: who signed the request, and which account it is in.

The official clients' job-attachment code asks it for the account to send as S3's
ExpectedBucketOwner (docs/attachments.md). Keys that came from the S3 store's STS answer with the
store's account, so that header matches the bucket's owner; all other keys with Farmstead's.
Must not: verify signatures or format XML (protocol/query.py does).
"""

from __future__ import annotations

from typing import Any

from farmstead.api.context import Caller
from farmstead.config import Settings

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


def get_caller_identity(settings: Settings, caller: Caller, fields: dict[str, str]) -> dict[str, Any]:
    attachments = (caller.scope or {}).get("jobAttachments") if isinstance(caller.scope, dict) else None
    account = (attachments or {}).get("accountId") or settings.account_id
    return {"UserId": caller.principal_id, "Account": account, "Arn": caller.arn}
