"""Schemathesis hooks for scripts/schemathesis (loaded through SCHEMATHESIS_HOOKS).

Some valid requests depend on state, which no schema can say; here every schema-valid (positive)
request, generated or taken from the document's examples, is given that state:
- A run must name a workflow registered in the caller's project (or carry its own destination):
  scripts/schemathesis registers one, and every run that names a workflow names that one, so valid
  runs reach the 202/201 path instead of the documented 400 for an unregistered workflow.
- GET /v1/runs?cursor= takes only a next_cursor this API returned (any other value is a 400):
  a generated cursor is replaced by a well-formed one.
- Two items of one batch cannot carry the same idempotency_key (a 400 naming both; JSON Schema
  cannot compare items): a repeated key gets the item's index appended.
- Replay windows: until must not be before since (a 400 otherwise), which JSON Schema cannot
  compare: a generated window the wrong way round is turned round.
Negative cases are left as generated: the value replaced may be what makes them invalid. Any case
that would delete the registered workflow (Schemathesis reuses values it saw in answers) deletes
another one instead.
"""
import base64
import datetime
import os

import schemathesis
from schemathesis import GenerationMode

WORKFLOW = os.environ["BATCHRUN_SCHEMATHESIS_WORKFLOW"]
# What next_cursor is: the last run id of a page, base64url without padding.
CURSOR = base64.urlsafe_b64encode(b"0192a5c4-1f00-7c11-8d2e-6f4a3b2c1d0e").rstrip(b"=").decode()


def _positive(case) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


def _with_state(case):
    label = (case.operation.method.upper(), case.operation.path)
    if label == ("POST", "/v1/workflows/{workflow_id}/runs"):
        case.path_parameters = {**(case.path_parameters or {}), "workflow_id": WORKFLOW}
    elif label == ("POST", "/v1/batches") and isinstance(case.body, dict):
        if isinstance(case.body.get("workflow_id"), str):
            case.body["workflow_id"] = WORKFLOW
        seen = set()
        for i, item in enumerate(case.body.get("runs") or []):
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("workflow_id"), str):
                item["workflow_id"] = WORKFLOW
            key = item.get("idempotency_key")
            if isinstance(key, str):
                if key in seen:
                    key = item["idempotency_key"] = key[:240] + "~" + str(i)
                seen.add(key)
    elif label == ("GET", "/v1/runs") and case.query and "cursor" in case.query:
        case.query = {**case.query, "cursor": CURSOR}
    elif label == ("POST", "/v1/webhook-endpoints/{id}/replay") and isinstance(case.body, dict):
        since, until = case.body.get("since"), case.body.get("until")
        try:
            if isinstance(since, str) and isinstance(until, str) and _instant(until) < _instant(since):
                case.body["since"], case.body["until"] = until, since
        except ValueError:
            pass  # a form Python does not read (a leap second): left to the server
    return case


def _instant(rfc3339: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(rfc3339.replace("z", "Z").replace("Z", "+00:00"))


def _keep_registration(case):
    if (case.operation.method.upper(), case.operation.path) == ("DELETE", "/v1/workflows/{workflow_id}"):
        if (case.path_parameters or {}).get("workflow_id") == WORKFLOW:
            case.path_parameters = {**case.path_parameters, "workflow_id": WORKFLOW + "-other"}
    return case


@schemathesis.hook
def map_case(ctx, case):
    return _keep_registration(_with_state(case) if _positive(case) else case)


@schemathesis.hook
def before_add_examples(ctx, examples):
    for case in examples:
        if _positive(case):
            _with_state(case)
        _keep_registration(case)
