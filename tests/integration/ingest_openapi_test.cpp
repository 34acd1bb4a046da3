// The served OpenAPI document matches the server: every request example of the write side (marked
// with x-expect-status) is sent to a live ingest, and the answer must have that status and match
// the schema the document gives for it; the document's own response examples match their schemas.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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
  void SetUp() override {
    h_ = std::make_unique<IngestHarness>();
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
