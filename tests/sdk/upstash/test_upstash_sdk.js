"use strict";
// The official Upstash Workflow SDK (@upstash/workflow, pinned in package-lock.json), unmodified,
// against a running batchrun ingest: client.trigger() of a batch and of one run (POST /v2/batch,
// as QStash's batch API), the runs read back through batchrun's /v1 API, the SDK's failure
// callback, client.cancel() (DELETE /v2/workflows/runs) and the error paths — plain QStash
// messages, cancel by filter, a wrong token, routes batchrun does not serve.
//
// Plain node:assert, no test runner: `node test_upstash_sdk.js` exits 0 when every test passed.
// scripts/sdk-tests installs the pins under .state/sdk/upstash/ (npm ci) and runs this with
// NODE_PATH pointing there; tests/sdk/upstash/upstash_sdk_test.cpp (ctest upstash_sdk_e2e_tests)
// starts the system and runs scripts/sdk-tests upstash.
//
// Environment:
//   BATCHRUN_SDK_URL              ingest's base URL, e.g. http://127.0.0.1:8080
//   BATCHRUN_SDK_API_KEY          an API key of the project below
//   BATCHRUN_SDK_PROJECT          that key's project (the wfr_ id → run id mapping depends on it)
//   BATCHRUN_SDK_UPSTASH_WORKER   base URL of a batchrun demo worker (dispatcher/demo_worker/README.md)

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { Client } = require("@upstash/workflow");
const qstash = require("@upstash/qstash");

const URL_ = process.env.BATCHRUN_SDK_URL.replace(/\/$/, "");
const KEY = process.env.BATCHRUN_SDK_API_KEY;
const PROJECT = process.env.BATCHRUN_SDK_PROJECT;
const WORKER = process.env.BATCHRUN_SDK_UPSTASH_WORKER.replace(/\/$/, "");
const DEADLINE_MS = 60000;

// retry: false — an error must reach the test as the server sent it, not after the SDK's retries.
const client = new Client({ baseUrl: URL_, token: KEY, retry: false });
const unique = crypto.randomBytes(4).toString("hex");

// docs/compat.md "Upstash": a workflowRunId the client chose names the run whose id is the UUIDv5
// of "<project>/upstash/<workflowRunId>" in batchrun's item-key namespace.
const ITEM_KEY_NAMESPACE = Buffer.from("6b1e6d1c2f3a4e5b9a105b8e1d7c0004", "hex");
function runIdOf(workflowRunId) {
  const h = crypto.createHash("sha1").update(ITEM_KEY_NAMESPACE).update(`${PROJECT}/upstash/${workflowRunId}`).digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

async function native(path) {
  const r = await fetch(URL_ + path, { headers: { Authorization: `Bearer ${KEY}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function waitFor(what, condition, deadlineMs = DEADLINE_MS) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const got = await condition();
    if (got) return got;
    assert.ok(Date.now() < end, `timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const TERMINAL = ["completed", "failed", "cancelled", "timed_out"];
async function terminalRun(workflowRunId) {
  const id = runIdOf(workflowRunId);
  return waitFor(`run ${workflowRunId} (${id}) to end`, async () => {
    const r = await native(`/v1/runs/${id}`);
    return r.status === 200 && TERMINAL.includes(r.body.status) ? r.body : null;
  });
}

// An SDK call that must fail: the QstashError it throws (status, and the body as message).
async function rejected(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof qstash.QstashError, `expected a QstashError, got ${e}`);
    return { status: e.status, body: JSON.parse(e.message) };
  }
  assert.fail("the call succeeded");
}

async function workerStats() {
  return (await fetch(`${WORKER}/stats`)).json();
}

const tests = {
  async batchTriggerStartsRunsUnderTheSdksIds() {
    const url = `${WORKER}/api/workflow`;
    const triggered = await client.trigger([
      { url, body: { hello: "sdk", i: 0 } },
      { url, body: { hello: "sdk", i: 1 }, workflowRunId: `custom-${unique}`, retries: 1 },
      { url, body: "plain text", headers: { "X-Tenant": "acme", "Content-Type": "text/plain" } },
    ]);
    assert.equal(triggered.length, 3);
    for (const t of triggered) assert.match(t.workflowRunId, /^wfr_/);
    assert.equal(triggered[1].workflowRunId, `wfr_custom-${unique}`);

    const runs = [];
    for (const t of triggered) runs.push(await terminalRun(t.workflowRunId));
    for (const r of runs) {
      assert.equal(r.status, "completed", JSON.stringify(r));
      assert.equal(r.workflow_id, "upstash");
    }
    assert.deepEqual(runs[0].input, { hello: "sdk", i: 0 });
    assert.deepEqual(runs[0].output, { echo: { hello: "sdk", i: 0 } });
    assert.equal(runs[0].max_attempts, 4);  // Upstash's default: 3 retries
    assert.equal(runs[1].max_attempts, 2);  // retries: 1
    assert.equal(runs[2].input, "plain text");
  },

  async singleTriggerAndItsRepeatAreOneRun() {
    const url = `${WORKER}/api/workflow`;
    const workflowRunId = `single-${unique}`;
    const one = await client.trigger({ url, body: { single: true }, workflowRunId });
    assert.deepEqual(one, { workflowRunId: `wfr_${workflowRunId}` });
    const run = await terminalRun(one.workflowRunId);
    assert.equal(run.status, "completed");
    assert.deepEqual(run.output, { echo: { single: true } });

    // The same id again: the SDK accepts the deduplicated answer; no second run is made.
    const again = await client.trigger({ url, body: { single: "again" }, workflowRunId });
    assert.equal(again.workflowRunId, one.workflowRunId);
    const after = await terminalRun(one.workflowRunId);
    assert.deepEqual(after.input, { single: true });
    assert.equal(after.created_at, run.created_at);
  },

  async batchAnswersInQStashsShape() {
    // What the SDK does not read, checked here: QStash's batch answer, messageId = the run id.
    const url = `${WORKER}/api/workflow`;
    const wfr = `wfr_raw-${unique}`;
    const post = () =>
      fetch(`${URL_}/v2/batch`, {
        method: "POST",
        headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify([
          { destination: url, headers: { "Upstash-Workflow-Init": "true", "Upstash-Workflow-RunId": wfr }, body: "{}" },
        ]),
      });
    const r = await post();
    assert.equal(r.status, 200);
    const [a] = await r.json();
    assert.equal(a.messageId, runIdOf(wfr));
    assert.equal(a.url, url);
    assert.equal(a.workflowRunId, wfr);
    assert.equal(a.deduplicated, false);
    assert.ok(Number.isInteger(a.workflowCreatedAt) && a.workflowCreatedAt > 0);
    const [b] = await (await post()).json();
    assert.deepEqual(b, { ...a, deduplicated: true });
  },

  async failureUrlIsCalledWhenTheRunFails() {
    // A 422 is not retried: one attempt, then the failure callback (which the demo worker also
    // answers 422, ending it): two requests with the run's batchrun-run-id.
    const failureUrl = `${WORKER}/api/failure`;
    const { workflowRunId } = await client.trigger({ url: `${WORKER}/api/workflow`, body: { status: 422 }, failureUrl });
    const run = await terminalRun(workflowRunId);
    assert.equal(run.status, "failed");
    const id = runIdOf(workflowRunId);
    await waitFor("the failure callback", async () => ((await workerStats()).by_run[id] ?? 0) >= 2);
  },

  async cancelByIdsCancelsTheRunningRun() {
    const url = `${WORKER}/api/workflow`;
    const { workflowRunId } = await client.trigger({ url, body: { sleep_ms: 30000 } });
    const id = runIdOf(workflowRunId);
    await waitFor("the run to be running", async () => (await native(`/v1/runs/${id}`)).body?.status === "running");

    assert.deepEqual(await client.cancel(workflowRunId), { cancelled: 1 });
    const run = await terminalRun(workflowRunId);
    assert.equal(run.status, "cancelled");

    // Finished and unknown runs are not counted.
    assert.deepEqual(await client.cancel([workflowRunId]), { cancelled: 0 });
    assert.deepEqual(await client.cancel({ ids: `wfr_unknown-${unique}` }), { cancelled: 0 });
  },

  async cancelOfSeveralIds() {
    const url = `${WORKER}/api/workflow`;
    const ids = (await client.trigger([0, 1, 2].map((i) => ({ url, body: { sleep_ms: 30000, i } })))).map(
      (t) => t.workflowRunId,
    );
    for (const id of ids) {
      const runId = runIdOf(id);
      await waitFor(`run ${id} to start`, async () => (await native(`/v1/runs/${runId}`)).body?.status === "running");
    }
    // client.cancel([a, b]) sends ?workflowRunIds=a&workflowRunIds=b; ingest's HTTP library keeps
    // one value of a repeated query parameter (docs/compat.md "Upstash"), so one run is cancelled.
    // When that changes, this fails: update the docs and expect 2.
    const bySdk = await client.cancel([ids[0], ids[1]]);
    assert.deepEqual(bySdk, { cancelled: 1 });
    // The ids comma-separated in one value (or in the JSON body) reach batchrun whole.
    const r = await fetch(`${URL_}/v2/workflows/runs?workflowRunIds=${encodeURIComponent(ids.join(","))}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${KEY}` },
    });
    assert.equal(r.status, 200);
    const { cancelled } = await r.json();
    assert.ok(cancelled >= 2 && cancelled <= 3, `cancelled ${cancelled}`);  // the first may have ended already
    for (const id of ids) assert.equal((await terminalRun(id)).status, "cancelled");
    // The ids in a JSON body (ended now: none counted).
    const body = await fetch(`${URL_}/v2/workflows/runs`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ workflowRunIds: ids }),
    });
    assert.equal(body.status, 200, await body.clone().text());
    assert.deepEqual(await body.json(), { cancelled: 0 });
  },

  async cancelByFilterOrAllIsRefused() {
    for (const request of [{ all: true }, { filter: { workflowUrl: `${WORKER}/api/workflow` } }]) {
      const e = await rejected(client.cancel(request));
      assert.equal(e.status, 400);
      assert.match(e.body.error, /by workflowRunIds only/);
    }
  },

  async plainQStashMessagesAreRefused() {
    const q = new qstash.Client({ baseUrl: URL_, token: KEY, retry: false });
    const e = await rejected(q.batchJSON([{ url: `${WORKER}/api/plain`, body: { a: 1 } }]));
    assert.equal(e.status, 400);
    assert.match(e.body.error, /Upstash-Workflow-Init/);
    assert.equal(e.body.details[0].index, 0);
    // /v2/publish is not served: Upstash's error shape, not text/plain.
    const p = await rejected(q.publishJSON({ url: `${WORKER}/api/plain`, body: { a: 1 } }));
    assert.equal(p.status, 404);
    assert.match(p.body.error, /no route/);
  },

  async wrongTokenIs401() {
    const bad = new Client({ baseUrl: URL_, token: "not-a-key", retry: false });
    const e = await rejected(bad.trigger({ url: `${WORKER}/api/workflow`, body: {} }));
    assert.equal(e.status, 401);
    assert.match(e.body.error, /Unauthorized/);
  },

  async unservedRoutesAnswerUpstashsErrorShape() {
    const e = await rejected(client.logs({}));  // GET /v2/workflows/events
    assert.equal(e.status, 404);
    const r = await fetch(`${URL_}/v2/batch`, { headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "POST");
    assert.match(r.headers.get("content-type"), /application\/json/);
    assert.match((await r.json()).error, /GET is not allowed/);
  },
};

(async () => {
  const failed = [];
  for (const [name, test] of Object.entries(tests)) {
    try {
      await test();
      console.log(`PASS ${name}`);
    } catch (e) {
      failed.push(name);
      console.log(`FAIL ${name}\n${e && e.stack ? e.stack : e}`);
    }
  }
  console.log(failed.length ? `${failed.length} failed: ${failed.join(", ")}` : "all passed");
  process.exit(failed.length ? 1 : 0);
})();
