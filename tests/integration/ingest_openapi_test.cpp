// The served OpenAPI document matches the server: every request example of the write side (marked
// with x-expect-status) is sent to a live ingest, and the answer must have that status and match
// the schema the document gives for it; the document's own response examples match their schemas.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string>
#include <vector>

#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using rapidjson::Value;

namespace {

std::string stringify(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

// Follows "$ref": "#/components/..." within the document.
const Value& resolve(const Value& doc, const Value& v) {
  const Value* cur = &v;
  while (cur->IsObject() && cur->HasMember("$ref")) {
    std::string ref = (*cur)["$ref"].GetString();
    const Value* node = &doc;
    size_t pos = 2;  // after "#/"
    while (pos <= ref.size()) {
      size_t slash = ref.find('/', pos);
      std::string part = ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      node = &(*node)[part.c_str()];
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    cur = node;
  }
  return *cur;
}

bool hasType(const Value& v, const std::string& type) {
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "string") return v.IsString();
  if (type == "integer") return v.IsInt64() || v.IsUint64();
  if (type == "number") return v.IsNumber();
  if (type == "boolean") return v.IsBool();
  if (type == "null") return v.IsNull();
  return false;
}

// The subset of JSON Schema the document uses for answers: $ref, allOf, type, enum, required,
// properties, additionalProperties (as a schema), items.
void validate(const Value& doc, const Value& schema_ref, const Value& v, const std::string& at,
              std::vector<std::string>& problems) {
  const Value& s = resolve(doc, schema_ref);
  if (!s.IsObject()) return;
  if (s.HasMember("allOf")) {
    for (const auto& part : s["allOf"].GetArray()) validate(doc, part, v, at, problems);
  }
  if (s.HasMember("type")) {
    bool ok = false;
    if (s["type"].IsString()) {
      ok = hasType(v, s["type"].GetString());
    } else {
      for (const auto& t : s["type"].GetArray()) ok = ok || hasType(v, t.GetString());
    }
    if (!ok) {
      problems.push_back(at + ": " + stringify(v) + " is not of type " + stringify(s["type"]));
      return;
    }
  }
  if (s.HasMember("enum")) {
    bool found = false;
    for (const auto& e : s["enum"].GetArray()) found = found || e == v;
    if (!found) problems.push_back(at + ": " + stringify(v) + " is not one of " + stringify(s["enum"]));
  }
  if (v.IsObject()) {
    if (s.HasMember("required")) {
      for (const auto& r : s["required"].GetArray()) {
        if (!v.HasMember(r.GetString())) problems.push_back(at + ": missing " + r.GetString());
      }
    }
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      const std::string child = at + "." + m->name.GetString();
      if (s.HasMember("properties") && s["properties"].HasMember(m->name)) {
        validate(doc, s["properties"][m->name], m->value, child, problems);
      } else if (s.HasMember("additionalProperties") && s["additionalProperties"].IsObject()) {
        validate(doc, s["additionalProperties"], m->value, child, problems);
      }
    }
  }
  if (v.IsArray() && s.HasMember("items")) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      validate(doc, s["items"], v[i], at + "[" + std::to_string(i) + "]", problems);
    }
  }
}

class IngestOpenApi : public ::testing::Test {
 protected:
  virtual IngestOptions options() { return {}; }

  void SetUp() override {
    h_ = std::make_unique<IngestHarness>(options());
    h_->startIngest();
    conn_ = std::make_unique<HttpConnection>(h_->port());
    auto r = conn_->request("GET", "/openapi.json");
    ASSERT_EQ(r.status, 200);
    doc_.Parse(r.body.c_str());
    ASSERT_TRUE(doc_.IsObject());
  }

  // The schema the document gives for `status` of an operation (null if it documents no body).
  const Value* responseSchema(const Value& op, int status) {
    std::string code = std::to_string(status);
    if (!op["responses"].HasMember(code.c_str())) return nullptr;
    const Value& resp = resolve(doc_, op["responses"][code.c_str()]);
    if (!resp.HasMember("content") || !resp["content"].HasMember("application/json")) return &resp;
    return &resp["content"]["application/json"]["schema"];
  }

  // Checks an answer against the operation's documentation of its status.
  void checkAnswer(const Value& op, const std::string& what, const HttpResponse& r) {
    const Value* schema = responseSchema(op, static_cast<int>(r.status));
    ASSERT_NE(schema, nullptr) << what << ": status " << r.status << " is not documented; body " << r.body;
    if (!schema->IsObject() || schema->HasMember("description")) return;  // documented without a body
    rapidjson::Document body;
    body.Parse(r.body.c_str());
    ASSERT_FALSE(body.HasParseError()) << what << ": " << r.body;
    std::vector<std::string> problems;
    validate(doc_, *schema, body, "$", problems);
    EXPECT_TRUE(problems.empty()) << what << ": " << ::testing::PrintToString(problems) << "\n" << r.body;
  }

  std::string pathFor(const std::string& templ) {
    std::string p = templ;
    auto open = p.find("{workflow_id}");
    if (open != std::string::npos) {
      const Value& param = resolve(doc_, doc_["components"]["parameters"]["WorkflowId"]);
      p.replace(open, 13, param["schema"]["example"].GetString());
    }
    return p;
  }

  std::unique_ptr<IngestHarness> h_;
  std::unique_ptr<HttpConnection> conn_;
  rapidjson::Document doc_;
};

// A small body limit, so the over-the-limit requests stay small.
class IngestOpenApiStatuses : public IngestOpenApi {
 protected:
  static constexpr int64_t kMaxBody = 4096;
  IngestOptions options() override {
    IngestOptions o;
    o.max_body_bytes = kMaxBody;
    return o;
  }

  // Every path parameter filled with a value of the right shape that names nothing.
  static std::string concretePath(std::string p) {
    const std::pair<const char*, const char*> values[] = {
        {"{workflow_id}", "wf"},
        {"{run_id}", "0192a5c4-1f00-7c11-8d2e-6f4a3b2c1d0e"},
        {"{batch_id}", "0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9a"},
        {"{id}", "ep_01920000-0000-7000-8000-000000000000"},
        {"{workflowRunId}", "wfr_none"}};
    for (const auto& [name, value] : values) {
      if (auto at = p.find(name); at != std::string::npos) p.replace(at, std::strlen(name), value);
    }
    return p;
  }
};

}  // namespace

TEST_F(IngestOpenApi, ServesTheDocument) {
  EXPECT_STREQ(doc_["openapi"].GetString(), "3.1.0");
  for (const char* p : {"/v1/batches", "/v1/workflows/{workflow_id}/runs", "/v1/workflows/{workflow_id}", "/openapi.json"}) {
    EXPECT_TRUE(doc_["paths"].HasMember(p)) << p;
  }
}

TEST_F(IngestOpenApi, TheDocumentsResponseExamplesMatchTheirSchemas) {
  int checked = 0;
  for (auto p = doc_["paths"].MemberBegin(); p != doc_["paths"].MemberEnd(); ++p) {
    for (auto op = p->value.MemberBegin(); op != p->value.MemberEnd(); ++op) {
      if (!op->value.IsObject() || !op->value.HasMember("responses")) continue;
      for (auto r = op->value["responses"].MemberBegin(); r != op->value["responses"].MemberEnd(); ++r) {
        const Value& resp = resolve(doc_, r->value);
        if (!resp.HasMember("content") || !resp["content"].HasMember("application/json")) continue;
        const Value& media = resp["content"]["application/json"];
        if (!media.HasMember("example") || !media.HasMember("schema")) continue;
        std::vector<std::string> problems;
        validate(doc_, media["schema"], media["example"], "$", problems);
        EXPECT_TRUE(problems.empty()) << p->name.GetString() << " " << r->name.GetString() << ": "
                                      << ::testing::PrintToString(problems);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 4);
}

TEST_F(IngestOpenApi, TheServerAnswersEveryRequestExampleAsDocumented) {
  int sent = 0;
  // Registrations first, so the run examples find their workflow; then the runs.
  for (const char* method : {"put", "post"}) {
    for (auto p = doc_["paths"].MemberBegin(); p != doc_["paths"].MemberEnd(); ++p) {
      if (!p->value.HasMember(method)) continue;
      const Value& op = p->value[method];
      if (!op.HasMember("requestBody")) continue;
      const Value& media = resolve(doc_, op["requestBody"])["content"]["application/json"];
      if (!media.HasMember("examples")) continue;
      for (auto ex = media["examples"].MemberBegin(); ex != media["examples"].MemberEnd(); ++ex) {
        if (!ex->value.HasMember("x-expect-status")) continue;  // not a write-side example
        const std::string what = std::string(method) + " " + p->name.GetString() + " (" + ex->name.GetString() + ")";
        std::string m = method;
        for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        auto r = conn_->request(m, pathFor(p->name.GetString()), stringify(ex->value["value"]),
                                IngestHarness::jsonHeaders());
        EXPECT_EQ(r.status, ex->value["x-expect-status"].GetInt()) << what << ": " << r.body;
        checkAnswer(op, what, r);
        ++sent;
      }
      // Without a key, with a body that is not JSON: the documented 401 and 415.
      auto bare = conn_->request(method == std::string("put") ? "PUT" : "POST", pathFor(p->name.GetString()), "{}",
                                 {{"Content-Type", "application/json"}});
      EXPECT_EQ(bare.status, 401);
      checkAnswer(op, std::string(method) + " " + p->name.GetString() + " without a key", bare);
      auto text = conn_->request(method == std::string("put") ? "PUT" : "POST", pathFor(p->name.GetString()), "x",
                                 {{"Content-Type", "text/plain"}, {"Authorization", std::string("Bearer ") + kIngestKey}});
      EXPECT_EQ(text.status, 415);
      checkAnswer(op, std::string(method) + " " + p->name.GetString() + " not JSON", text);
    }
  }
  EXPECT_GE(sent, 7);

  const Value& wf = doc_["paths"]["/v1/workflows/{workflow_id}"];
  const std::string path = pathFor("/v1/workflows/{workflow_id}");
  auto get = conn_->request("GET", path, {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(get.status, 200);
  checkAnswer(wf["get"], "GET workflow", get);
  auto del = conn_->request("DELETE", path, {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(del.status, 204);
  checkAnswer(wf["delete"], "DELETE workflow", del);
  auto gone = conn_->request("GET", path, {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(gone.status, 404);
  checkAnswer(wf["get"], "GET deleted workflow", gone);
}

// Issue #24 item 10: every operation documents what it answers to a request without a key, with a
// wrong key, with a body that is not JSON, with malformed JSON and with a body over the limit —
// the status, and (where the document gives one) the body's schema.
TEST_F(IngestOpenApiStatuses, EveryOperationDocumentsItsAnswersToBadRequests) {
  const std::string good_key = std::string("Bearer ") + kIngestKey;
  int checked = 0;
  for (auto p = doc_["paths"].MemberBegin(); p != doc_["paths"].MemberEnd(); ++p) {
    const std::string path = concretePath(p->name.GetString());
    for (const char* method : {"get", "post", "put", "delete"}) {
      if (!p->value.HasMember(method)) continue;
      const Value& op = p->value[method];
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string what = m + " " + p->name.GetString();
      if (path == "/v1/batches/0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9a/events") continue;  // a stream: below
      const bool open = op.HasMember("security") && op["security"].Empty();
      const bool has_body = op.HasMember("requestBody");
      const std::string body = has_body ? "{}" : "";
      const std::map<std::string, std::string> json_type{{"Content-Type", "application/json"}};
      if (!open) {
        auto bare = conn_->request(m, path, body, json_type);
        EXPECT_EQ(bare.status, 401) << what << " without a key: " << bare.body;
        checkAnswer(op, what + " without a key", bare);
        auto wrong =
            conn_->request(m, path, body, {{"Content-Type", "application/json"}, {"Authorization", "Bearer nope"}});
        EXPECT_EQ(wrong.status, 401) << what << " with a wrong key: " << wrong.body;
        checkAnswer(op, what + " with a wrong key", wrong);
      }
      if (has_body) {
        // The Polos routes want their project header before anything else is looked at.
        std::map<std::string, std::string> auth{{"Authorization", good_key}, {"X-Project-ID", "default"}};
        auto text = conn_->request(m, path, "x", [&] {
          auto h = auth;
          h["Content-Type"] = "text/plain";
          return h;
        }());
        EXPECT_NE(text.status / 100, 5) << what << " not JSON";
        checkAnswer(op, what + " not JSON", text);
        auth["Content-Type"] = "application/json";
        auto malformed = conn_->request(m, path, "[", auth);
        EXPECT_NE(malformed.status / 100, 5) << what << " malformed";
        checkAnswer(op, what + " malformed JSON", malformed);
        // Over the limit by more than the edge's allowance: the edge answers, and closes.
        HttpConnection once(h_->port());
        auto huge = once.request(m, path, "[" + std::string(kMaxBody + 64 * 1024 + 1, ' ') + "]", auth);
        EXPECT_EQ(huge.status, 413) << what;
        checkAnswer(op, what + " over the limit", huge);
        // Over the limit by less: the route answers (413 where it checks, else its own refusal).
        auto over = conn_->request(m, path, "[" + std::string(kMaxBody + 16, ' ') + "]", auth);
        EXPECT_NE(over.status / 100, 5) << what << " over the limit";
        checkAnswer(op, what + " just over the limit", over);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
  // The native API's own refusals, exactly (the dialects answer in their products' shapes).
  auto text = conn_->request("POST", "/v1/webhook-endpoints", "x",
                             {{"Content-Type", "text/plain"}, {"Authorization", good_key}});
  EXPECT_EQ(text.status, 415);
  auto big = conn_->request("POST", "/v1/batches", "[" + std::string(kMaxBody + 16, ' ') + "]",
                            {{"Content-Type", "application/json"}, {"Authorization", good_key}});
  EXPECT_EQ(big.status, 413);
  auto stream = conn_->request("GET", "/v1/batches/0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9a/events");
  EXPECT_EQ(stream.status, 401);
  checkAnswer(doc_["paths"]["/v1/batches/{batch_id}/events"]["get"], "the event stream without a key", stream);
}

// Issue #24 item 10: a request the document allows is one the server takes — an integer written
// 5.0, and null for an optional field (both were 400s).
TEST_F(IngestOpenApi, IntegersWithAZeroFractionAndNullOptionalFieldsAreAccepted) {
  auto put = conn_->request("PUT", "/v1/workflows/typed",
                            R"({"endpoint":"http://127.0.0.1:9/run","concurrency_limit":10.0,"timeout_seconds":null})",
                            IngestHarness::jsonHeaders());
  EXPECT_EQ(put.status, 201) << put.body;
  checkAnswer(doc_["paths"]["/v1/workflows/{workflow_id}"]["put"], "PUT with 10.0 and null", put);
  auto batch = conn_->request("POST", "/v1/batches",
                              R"({"workflow_id":"typed","priority":null,"runs":[{"input":null,"priority":5.0,"queue":null}]})",
                              IngestHarness::jsonHeaders());
  EXPECT_EQ(batch.status, 202) << batch.body;
  checkAnswer(doc_["paths"]["/v1/batches"]["post"], "a batch with 5.0 and nulls", batch);
  auto fraction = conn_->request("POST", "/v1/batches",
                                 R"({"workflow_id":"typed","runs":[{"input":1,"priority":5.5}]})",
                                 IngestHarness::jsonHeaders());
  EXPECT_EQ(fraction.status, 400) << fraction.body;
}

// Schemathesis findings: a method a path lacks is a 405 with Allow also when it is QUERY (Pistache
// cannot parse it: it was a 400 "Unknown HTTP request method"), and a workflow id in a path may be
// percent-encoded as clients that encode every reserved character send it ("a%3Ab" was a 400).
TEST_F(IngestOpenApi, QueryIsA405AndPathIdsMayBePercentEncoded) {
  HttpConnection query_conn(h_->port());
  auto query = query_conn.request("QUERY", "/v1/runs", "{}", IngestHarness::jsonHeaders());
  EXPECT_EQ(query.status, 405) << query.body;
  EXPECT_EQ(query.headers["allow"], "GET");
  HttpConnection unknown(h_->port());
  EXPECT_EQ(unknown.request("QUERY", "/v1/nothing-here", {}, IngestHarness::jsonHeaders()).status, 404);

  auto put = conn_->request("PUT", "/v1/workflows/team%3Asend-email", R"({"endpoint":"http://127.0.0.1:9/run"})",
                            IngestHarness::jsonHeaders());
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_NE(put.body.find(R"("workflow_id":"team:send-email")"), std::string::npos) << put.body;
  EXPECT_EQ(conn_->request("GET", "/v1/workflows/team:send-email", {}, IngestHarness::jsonHeaders()).status, 200);
  auto run = conn_->request("POST", "/v1/workflows/team%3asend-email/runs", R"({"input":1})",
                            IngestHarness::jsonHeaders());
  EXPECT_EQ(run.status, 201) << run.body;
  auto bad = conn_->request("GET", "/v1/workflows/a%2Fb", {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(bad.status, 400) << bad.body;  // '/' is not a workflow id character, encoded or not
}
