"""The official Polos Python SDK (polos-sdk, pinned in requirements.txt), unmodified, against a
running batchrun ingest: batch_invoke, invoke, Workflow.run (submit, then poll until done),
get_execution / ExecutionHandle.get, cancel, and errors — asserting on what the SDK returns.

The SDK's client (PolosClient) has no error classes of its own: every call but cancel_execution
raises httpx.HTTPStatusError (raise_for_status) on a 4xx/5xx, with the response attached, and
cancel_execution answers False. Its workflows must be defined in the process (batch_invoke looks
each id up in the SDK's registry), so the test defines them with @workflow; their bodies never run
here: batchrun runs each execution on the worker registered for the workflow id (PUT /v1/workflows).

Plain asserts, no test runner: `python test_polos_sdk.py` exits 0 when every test passed.
scripts/sdk-tests runs it in a venv with the pins; tests/sdk/polos/polos_sdk_test.cpp (ctest
polos_sdk_e2e_tests) starts the system and runs that script.

Environment:
  BATCHRUN_SDK_URL             ingest's base URL, e.g. http://127.0.0.1:8080
  BATCHRUN_SDK_API_KEY         an API key of the project the workflow is registered in
  BATCHRUN_SDK_POLOS_PROJECT   that key's project (the SDK's project_id, sent as X-Project-ID)
  BATCHRUN_SDK_POLOS_WORKFLOW  a workflow of that project whose worker answers 200 with a JSON
                               object (the demo worker: {"echo": <input>}; it also sleeps for
                               "sleep_ms" and answers "status" when the input asks); its id must be
                               a Python identifier (the SDK's rule for workflow ids)
"""

import asyncio
import json
import os
import socket
import sys
import time
import traceback
import urllib.request
import uuid

# The SDK reads POLOS_* variables (and a .env file) for what the constructor is not given; make
# sure nothing from the environment switches on its local mode or picks another deployment.
for var in ("POLOS_LOCAL_MODE", "POLOS_DEPLOYMENT_ID", "POLOS_API_URL", "POLOS_API_KEY", "POLOS_PROJECT_ID"):
    os.environ.pop(var, None)

import httpx  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from importlib.metadata import version  # noqa: E402

from polos import (  # noqa: E402
    BatchWorkflowInput,
    ExecutionHandle,
    PolosClient,
    WorkflowTimeoutError,
    batch_invoke,
    events,
    schedules,
    workflow,
)
from polos.features.events import EventData  # noqa: E402

URL = os.environ["BATCHRUN_SDK_URL"].rstrip("/")
KEY = os.environ["BATCHRUN_SDK_API_KEY"]
PROJECT = os.environ["BATCHRUN_SDK_POLOS_PROJECT"]
WORKFLOW = os.environ["BATCHRUN_SDK_POLOS_WORKFLOW"]
DEADLINE_S = 60
DEPLOYMENT = "dep-sdk-1"

client = PolosClient(api_url=URL, api_key=KEY, project_id=PROJECT, deployment_id=DEPLOYMENT)


# The workflows as the SDK knows them (ids and queue options only; batchrun's worker runs them).
@workflow(id=WORKFLOW)
def echo(ctx, payload: dict):
    raise AssertionError("batchrun runs this workflow on its registered worker, not here")


@workflow(id="sdk_serial", queue={"name": "sdk-serial-queue", "concurrency_limit": 1})
def serial(ctx, payload: dict):
    raise AssertionError("batchrun runs this workflow on its registered worker, not here")


@workflow(id="sdk_silent")
def silent(ctx, payload: dict):
    raise AssertionError("batchrun runs this workflow on its registered worker, not here")


class State(BaseModel):
    step: int


def native(method, path, body=None):
    """batchrun's own /v1 API, for set-up (registering workflows) and what Polos does not show."""
    req = urllib.request.Request(URL + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


async def wait_for(what, condition, deadline_s=DEADLINE_S):
    """Awaits condition() until it returns something truthy; fails after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        got = await condition()
        if got:
            return got
        assert time.monotonic() < end, f"timed out after {deadline_s}s waiting for {what}"
        await asyncio.sleep(0.2)


async def status_is(handle, *statuses):
    got = await handle.get(client)
    return got if got["status"] in statuses else None


def http_error(e):
    """(status, JSON body) of the SDK's error: httpx.HTTPStatusError with the response."""
    assert isinstance(e, httpx.HTTPStatusError), repr(e)
    return e.response.status_code, e.response.json()


async def expect_http_error(call, status, error_type):
    try:
        await call
    except httpx.HTTPStatusError as e:
        got_status, body = http_error(e)
        assert got_status == status, (got_status, body)
        assert body["error_type"] == error_type and isinstance(body["error"], str), body
        return body
    raise AssertionError(f"accepted; expected {status} {error_type}")


async def invoke_unless_unregistered(wf, payload):
    """wf.invoke; None while the ingest instance it reaches has not read a registration just made
    through another instance (behind a load balancer), so that the caller sends it again."""
    try:
        return await wf.invoke(client, payload)
    except httpx.HTTPStatusError as e:
        if e.response.status_code == 400 and "is not registered" in e.response.json().get("error", ""):
            return None
        raise


async def test_batch_invoke_and_get_execution():
    # initial_state as a model: the SDK turns a plain dict given to BatchWorkflowInput into an empty
    # pydantic BaseModel, which its own serializer then cannot dump (polos-sdk 0.1.15).
    handles = await batch_invoke(client, [
        BatchWorkflowInput(id=WORKFLOW, payload={"document": "a.pdf"}),
        BatchWorkflowInput(id=WORKFLOW, payload={"document": "b.pdf"}, initial_state=State(step=0),
                           run_timeout_seconds=120),
    ], session_id="sess-sdk", user_id="user-sdk")
    assert len(handles) == 2 and all(isinstance(h, ExecutionHandle) for h in handles), handles
    for h in handles:
        assert h.workflow_id == WORKFLOW
        uuid.UUID(h.id)  # batchrun's run id, a UUID as Polos's execution ids
        assert h.created_at and h.session_id == "sess-sdk" and h.user_id == "user-sdk", h
        assert h.root_execution_id == h.id

    # ExecutionHandle.get until completed: the worker's answer is the result.
    done = [await wait_for("the execution to complete", lambda h=h: status_is(h, "completed")) for h in handles]
    assert done[0]["result"] == {"echo": {"document": "a.pdf"}}, done[0]
    assert done[1]["result"] == {"echo": {"document": "b.pdf"}}, done[1]
    for d in done:
        assert d["error"] is None and d["created_at"] and d["completed_at"], d

    # PolosClient.get_execution: the whole execution object.
    first = await client.get_execution(handles[0].id)
    second = await client.get_execution(handles[1].id)
    assert first["id"] == handles[0].id and first["workflow_id"] == WORKFLOW, first
    assert first["status"] == "completed" and first["payload"] == {"document": "a.pdf"}, first
    assert first["session_id"] == "sess-sdk" and first["user_id"] == "user-sdk", first
    assert first["deployment_id"] == DEPLOYMENT, first
    assert first["retry_count"] == 0 and first["started_at"], first
    assert first["queue_name"] == WORKFLOW, first  # Polos's default queue: the workflow id
    assert first["run_timeout_seconds"] == 3600, first  # batchrun's default, as Polos's
    assert second["run_timeout_seconds"] == 120, second
    assert first["batch_id"] and first["batch_id"] == second["batch_id"], (first, second)
    # The same batch through batchrun's own API; initial_state is kept in the run's metadata.
    batch = native("GET", "/v1/batches/" + first["batch_id"])
    assert batch["total"] == 2 and batch["counts"]["completed"] == 2, batch
    run = native("GET", "/v1/runs/" + handles[1].id)
    assert run["metadata"]["initial_state"] == {"step": 0}, run


async def test_queue_concurrency_limit():
    # A workflow whose SDK definition carries a queue with concurrency_limit 1: batch_invoke sends
    # queue_name and queue_concurrency_limit for each item. Registered on the same worker.
    endpoint = native("GET", "/v1/workflows/" + WORKFLOW)["endpoint"]
    native("PUT", "/v1/workflows/sdk_serial", {"endpoint": endpoint})
    end = time.monotonic() + DEADLINE_S
    while True:
        try:
            handles = await batch_invoke(client, [
                BatchWorkflowInput(id="sdk_serial", payload={"i": i, "sleep_ms": 200}) for i in range(3)])
            break
        except httpx.HTTPStatusError as e:  # the registration not read yet by this ingest instance
            assert e.response.status_code == 400 and time.monotonic() < end, e.response.text
            await asyncio.sleep(0.2)
    done = [await wait_for("the execution to complete", lambda h=h: status_is(h, "completed")) for h in handles]
    assert [d["result"]["echo"]["i"] for d in done] == [0, 1, 2], done
    execution = await client.get_execution(handles[0].id)
    assert execution["queue_name"] == "sdk-serial-queue", execution
    # One at a time: no run started before the one before it had ended.
    runs = sorted([await client.get_execution(h.id) for h in handles], key=lambda e: e["started_at"])
    for before, after in zip(runs, runs[1:]):
        assert before["completed_at"] <= after["started_at"], (before, after)


async def test_invoke_and_run_until_done():
    # Workflow.invoke: POST /api/v1/workflows/{id}/run, the handle at once.
    handle = await echo.invoke(client, {"key": "value"}, concurrency_key="tenant-1", session_id="sess-2")
    assert isinstance(handle, ExecutionHandle) and handle.workflow_id == WORKFLOW, handle
    got = await wait_for("the execution to complete", lambda: status_is(handle, "completed"))
    assert got["result"] == {"echo": {"key": "value"}}, got
    execution = await client.get_execution(handle.id)
    assert execution["concurrency_key"] == "tenant-1" and execution["session_id"] == "sess-2", execution
    assert execution["batch_id"] is None, execution  # a single run belongs to no batch

    # PolosClient.invoke (by workflow id, with its options).
    handle = await client.invoke(WORKFLOW, {"n": 1}, queue_name="sdk-q", run_timeout_seconds=30, user_id="u-3")
    got = await wait_for("the execution to complete", lambda: status_is(handle, "completed"))
    assert got["result"] == {"echo": {"n": 1}}, got
    execution = await client.get_execution(handle.id)
    assert execution["queue_name"] == "sdk-q" and execution["run_timeout_seconds"] == 30, execution

    # Workflow.run: submit, then poll ExecutionHandle.get until completed; the result is returned.
    result = await echo.run(client, {"hello": "sdk"}, timeout=DEADLINE_S)
    assert result == {"echo": {"hello": "sdk"}}, result

    # A failed execution (the worker refuses it: 422, not retried) is the SDK's RuntimeError.
    try:
        await echo.run(client, {"status": 422}, timeout=DEADLINE_S)
        raise AssertionError("a refused execution completed")
    except RuntimeError as e:
        assert str(e).startswith("Workflow execution failed: "), e

    # run(timeout=...) sends it as run_timeout_seconds: batchrun times the run out, the SDK stops
    # polling; whichever comes first is what run() raises.
    try:
        await echo.run(client, {"sleep_ms": 20000, "timeout_case": True}, timeout=2)
        raise AssertionError("a 20 s run finished within its 2 s timeout")
    except WorkflowTimeoutError as e:
        execution_id = e.execution_id
    except RuntimeError as e:
        assert "timed out" in str(e), e
        execution_id = None
    if execution_id:
        handle = ExecutionHandle(id=execution_id, workflow_id=WORKFLOW)
        got = await wait_for("the execution to time out", lambda: status_is(handle, "failed"))
        assert "timed out" in got["error"], got


class SilentWorker:
    """A worker that takes connections and never answers: its runs stay running until cancelled."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        return "http://127.0.0.1:%d/run" % self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


async def test_cancel():
    with SilentWorker() as endpoint:
        native("PUT", "/v1/workflows/sdk_silent", {"endpoint": endpoint})
        handle = await wait_for("the registration to be known",
                                lambda: invoke_unless_unregistered(silent, {"never": "answered"}))
        await wait_for("the execution to start", lambda: status_is(handle, "running"))
        assert await handle.cancel(client) is True
        got = await wait_for("the execution to be cancelled", lambda: status_is(handle, "cancelled"))
        assert got["result"] is None and got["completed_at"], got
        execution = await client.get_execution(handle.id)
        assert execution["cancelled_at"], execution
        # An ended execution cannot be cancelled again (400): the SDK answers False.
        assert await client.cancel_execution(handle.id) is False
    # An unknown execution (404): False as well.
    assert await client.cancel_execution(str(uuid.uuid4())) is False


async def test_errors():
    unknown = str(uuid.uuid4())
    # An unknown execution: 404 NOT_FOUND, through both read calls.
    await expect_http_error(client.get_execution(unknown), 404, "NOT_FOUND")
    await expect_http_error(ExecutionHandle(id=unknown, workflow_id=WORKFLOW).get(client), 404, "NOT_FOUND")
    # A bad request: 400 BAD_REQUEST naming the field.
    body = await expect_http_error(client.invoke(WORKFLOW, {}, queue_concurrency_limit=0), 400, "BAD_REQUEST")
    assert [d["field"] for d in body["details"]] == ["queue_concurrency_limit"], body
    body = await expect_http_error(
        batch_invoke(client, [BatchWorkflowInput(id=WORKFLOW, payload={}, run_timeout_seconds=0)]), 400, "BAD_REQUEST")
    assert [d["field"] for d in body["details"]] == ["workflows[0].run_timeout_seconds"], body
    # A workflow nobody registered: refused up front, not failed later.
    body = await expect_http_error(client.invoke("sdk_nobody", {}), 400, "BAD_REQUEST")
    assert body["details"][0]["field"] == "workflow_id", body
    # A wrong key: 401; a project that is not the key's: 403.
    wrong_key = PolosClient(api_url=URL, api_key="not-a-key", project_id=PROJECT)
    await expect_http_error(wrong_key.get_execution(unknown), 401, "UNAUTHORIZED")
    await expect_http_error(wrong_key.invoke(WORKFLOW, {}), 401, "UNAUTHORIZED")
    other_project = PolosClient(api_url=URL, api_key=KEY, project_id="not-" + PROJECT)
    await expect_http_error(other_project.get_execution(unknown), 403, "FORBIDDEN")
    # SDK calls batchrun does not serve (schedules, events): 404 in Polos's error shape, not text.
    await expect_http_error(schedules.create(client, WORKFLOW, "0 8 * * *"), 404, "NOT_FOUND")
    await expect_http_error(events.publish(client, "sdk-topic", EventData(event_type="t", data={})), 404, "NOT_FOUND")


async def main():
    tests = [test_batch_invoke_and_get_execution, test_queue_concurrency_limit, test_invoke_and_run_until_done,
             test_cancel, test_errors]
    failed = 0
    for t in tests:
        try:
            await t()
            print(f"PASS {t.__name__}", flush=True)
        except Exception:  # noqa: BLE001 — report every test, then fail
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"polos-sdk {version('polos-sdk')}: {len(tests) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
