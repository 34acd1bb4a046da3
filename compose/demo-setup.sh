#!/bin/sh
# One-shot demo set-up for compose (what scripts/run does natively): registers the workflow `demo`
# on the demo worker and a webhook endpoint for the demo receiver, whose signing secret goes to
# /demo/receiver.secret where the receiver reads it.
set -eu
api() { curl -sS -f -X "$1" -H "Authorization: Bearer $BATCHRUN_API_KEY" -H 'Content-Type: application/json' ${3:+--data "$3"} "$BATCHRUN_URL$2"; }

api PUT /v1/workflows/demo '{"endpoint":"http://demo-worker:8090/"}' >/dev/null
echo "registered workflow demo -> http://demo-worker:8090/"

if [ -s /demo/receiver.secret ] && [ -s /demo/receiver.endpoint ] &&
   api GET /v1/webhook-endpoints | grep -q "$(cat /demo/receiver.endpoint)"; then
  echo "webhook endpoint $(cat /demo/receiver.endpoint) already registered"
  exit 0
fi
body=$(api POST /v1/webhook-endpoints '{"url":"http://demo-receiver:8091/webhooks","description":"compose demo receiver"}')
echo "$body" | sed -nE 's/.*"id":"([^"]*)".*/\1/p' >/demo/receiver.endpoint
echo "$body" | sed -nE 's/.*"secret":"([^"]*)".*/\1/p' >/demo/receiver.secret
chmod 0644 /demo/receiver.secret
echo "registered webhook endpoint $(cat /demo/receiver.endpoint) -> http://demo-receiver:8091/webhooks"
