"""The official Extend Python SDK (extend-ai, pinned in requirements.txt), unmodified, against a
running batchrun ingest: batch create (file url, file text, file id, priority), retrieve, list by
batch id, cancel, and errors — asserting on what the SDK returns, and validating every answer
against the SDK's own pydantic types (the SDK itself builds its models without validation, so a
missing required field would otherwise go unnoticed).

Plain asserts, no test runner: `python test_extend_sdk.py` exits 0 when every test passed.
scripts/sdk-tests runs it in a venv with the pins; tests/sdk/extend/extend_sdk_test.cpp (ctest
extend_sdk_e2e_tests) starts the system and runs that script.

Environment:
  BATCHRUN_SDK_URL            ingest's base URL, e.g. http://127.0.0.1:8080
  BATCHRUN_SDK_API_KEY        an API key of the project the workflow is registered in
  BATCHRUN_SDK_EXTEND_WORKFLOW a workflow of that project whose worker answers 200 with a JSON
                              object (the demo worker: {"echo": <input>})
"""

import json
import os
import socket
import sys
import time
import traceback
import urllib.request

import extend_ai
from extend_ai import BadRequestError, Extend, NotFoundError, WorkflowRun, WorkflowRunSummary
from extend_ai.core.api_error import ApiError
from extend_ai.types.step_run import StepRun_ExternalDataValidation
from extend_ai.workflow_runs.types.workflow_runs_list_response import WorkflowRunsListResponse

URL = os.environ["BATCHRUN_SDK_URL"].rstrip("/")
KEY = os.environ["BATCHRUN_SDK_API_KEY"]
WORKFLOW = os.environ["BATCHRUN_SDK_EXTEND_WORKFLOW"]
DEADLINE_S = 60

client = Extend(token=KEY, base_url=URL, timeout=30)


def wait_for(what, condition, deadline_s=DEADLINE_S):
    """Polls condition() until it returns something truthy; fails after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        got = condition()
        if got:
            return got
        assert time.monotonic() < end, f"timed out after {deadline_s}s waiting for {what}"
        time.sleep(0.2)


def native(method, path, body=None):
    """batchrun's own /v1 API, for set-up and for what the Extend API does not show (the lane)."""
    req = urllib.request.Request(URL + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def batch_runs(batch_id):
    """Every run of the batch through the SDK's list, page by page; each page validated."""
    runs, token = [], None
    while True:
        raw = client.workflow_runs.with_raw_response.list(batch_id=batch_id, max_page_size=1, next_page_token=token)
        WorkflowRunsListResponse.model_validate(raw._response.json())  # every required field, strictly
        page = raw.data
        assert page.object == "list"
        runs.extend(page.data)
        token = page.next_page_token
        if not token:
            return runs


def all_in(batch_id, n, status):
    runs = batch_runs(batch_id)
    return runs if len(runs) == n and all(r.status == status for r in runs) else None


def retrieve_validated(run_id):
    raw = client.workflow_runs.with_raw_response.retrieve(run_id)
    WorkflowRun.model_validate(raw._response.json())
    return raw.data


def test_batch_create_retrieve_list():
    inputs = [
        {"file": {"url": "https://example.com/docs/invoice1.pdf"}, "metadata": {"customerId": "cust_1"}},
        {"file": {"text": "Invoice #2 total 10 EUR", "name": "invoice2.txt"}, "metadata": {"customerId": "cust_2"}},
        {"file": {"id": "file_sdk_3"}, "metadata": {"customerId": "cust_3"}},
    ]
    created = client.workflow_runs.create_batch(workflow={"id": WORKFLOW}, inputs=inputs, priority=10)
    assert isinstance(created.batch_id, str) and created.batch_id

    runs = wait_for("the batch to be PROCESSED", lambda: all_in(created.batch_id, 3, "PROCESSED"))
    assert all(isinstance(r, WorkflowRunSummary) for r in runs)
    by_customer = {}
    for summary in runs:
        assert summary.batch_id == created.batch_id
        assert summary.workflow.id == WORKFLOW
        assert summary.workflow_version.version
        assert summary.dashboard_url
        assert summary.created_at is not None and summary.updated_at is not None
        assert len(summary.files) == 1
        run = retrieve_validated(summary.id)
        assert isinstance(run, WorkflowRun)
        assert run.id == summary.id
        assert run.status == "PROCESSED"
        assert run.reviewed is False
        assert run.end_time is not None and run.start_time is not None
        by_customer[run.metadata["customerId"]] = run
    assert sorted(by_customer) == ["cust_1", "cust_2", "cust_3"]

    # The input files as Extend's FileSummary.
    assert by_customer["cust_1"].files[0].name == "invoice1.pdf"
    assert by_customer["cust_2"].files[0].name == "invoice2.txt"
    assert by_customer["cust_3"].files[0].id == "file_sdk_3"

    # The worker's answer, as the one step run's result: the demo worker echoes the run's input,
    # which is the Extend input without its metadata.
    text_run = by_customer["cust_2"]
    assert len(text_run.step_runs) == 1
    step = text_run.step_runs[0]
    assert isinstance(step, StepRun_ExternalDataValidation), type(step)
    assert step.status == "PROCESSED"
    assert step.workflow_run_id == text_run.id
    assert step.result.response.status == 200
    assert step.result.response.data["echo"] == {"file": {"text": "Invoice #2 total 10 EUR", "name": "invoice2.txt"}}

    # priority 10 is Extend's and batchrun's scale: the run's priority, in the `high` lane (1..25).
    v1 = native("GET", "/v1/runs/" + text_run.id)
    assert v1["priority"] == 10 and v1["lane"] == "high", v1


class SilentWorker:
    """A worker that takes connections and never answers: its runs stay PROCESSING until cancelled."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        return "http://127.0.0.1:%d/run" % self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def create_unless_unregistered(**request):
    """create_batch; None while the ingest instance it reaches has not read a registration just
    made through another instance (behind a load balancer), so that the caller sends it again."""
    try:
        return client.workflow_runs.create_batch(**request)
    except BadRequestError as e:
        if "is not registered" in str(e.body.get("message", "")):
            return None
        raise


def test_cancel():
    with SilentWorker() as endpoint:
        native("PUT", "/v1/workflows/wf_sdk_silent", {"endpoint": endpoint})
        created = wait_for("the registration to be known", lambda: create_unless_unregistered(
            workflow={"id": "wf_sdk_silent"}, inputs=[{"file": {"text": "never answered"}}]))
        [running] = wait_for("the run to start", lambda: all_in(created.batch_id, 1, "PROCESSING"))
        cancelled = client.workflow_runs.cancel(running.id)
        assert isinstance(cancelled, WorkflowRun)
        assert cancelled.id == running.id
        assert cancelled.status in ("CANCELLING", "CANCELLED"), cancelled.status
        wait_for("the run to be CANCELLED", lambda: retrieve_validated(running.id).status == "CANCELLED")
        assert retrieve_validated(running.id).step_runs[0].status == "CANCELLED"
        # An ended run cannot be cancelled again: 400 in Extend's error shape.
        try:
            client.workflow_runs.cancel(running.id)
            raise AssertionError("a second cancel was accepted")
        except BadRequestError as e:
            assert e.status_code == 400
            assert e.body["code"] == "INVALID_REQUEST", e.body


def test_errors():
    try:
        client.workflow_runs.retrieve("0190aaaa-0000-7000-8000-000000000000")
        raise AssertionError("an unknown run was found")
    except NotFoundError as e:
        assert e.body["code"] == "NOT_FOUND" and isinstance(e.body["message"], str), e.body
    try:
        client.workflow_runs.create_batch(workflow={"id": WORKFLOW}, inputs=[{"file": {"text": "x"}}], priority=0)
        raise AssertionError("priority 0 was accepted")
    except BadRequestError as e:
        assert e.body["code"] == "INVALID_REQUEST", e.body
        assert [d["field"] for d in e.body["details"]] == ["priority"], e.body
    try:
        client.workflow_runs.create_batch(workflow={"id": "wf_not_registered"}, inputs=[{"file": {"text": "x"}}])
        raise AssertionError("an unregistered workflow was accepted")
    except BadRequestError as e:
        assert e.body["details"][0]["field"] == "workflow.id", e.body
    # A method batchrun does not serve (Extend's delete): 405 with Allow, still JSON (the SDK has no
    # class for 405: its ApiError carries the parsed body).
    try:
        client.workflow_runs.delete("0190aaaa-0000-7000-8000-000000000000")
        raise AssertionError("delete was accepted")
    except ApiError as e:
        assert e.status_code == 405, e
        assert e.headers.get("allow") == "GET", e.headers
        assert e.body["code"] == "METHOD_NOT_ALLOWED", e.body
    # A wrong key.
    try:
        Extend(token="not-a-key", base_url=URL).workflow_runs.list()
        raise AssertionError("a wrong key was accepted")
    except extend_ai.UnauthorizedError as e:
        assert e.body["code"] == "UNAUTHORIZED", e.body


def main():
    tests = [test_batch_create_retrieve_list, test_cancel, test_errors]
    failed = 0
    for t in tests:
        try:
            t()
            print(f"PASS {t.__name__}", flush=True)
        except Exception:  # noqa: BLE001 — report every test, then fail
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"extend-ai {extend_ai.__version__ if hasattr(extend_ai, '__version__') else ''}: "
          f"{len(tests) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
