#include "batchrun/cli/input_file.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <fstream>

#include "batchrun/common/json_parse.hpp"

namespace batchrun::cli {

namespace {
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string keyFor(const SubmitOptions& o, int index, const std::vector<InputLine>& lines) {
  std::string material = "batchrun-cli/v1\n" + o.workflow + "\n" + (o.priority ? std::to_string(*o.priority) : "") +
                         "\n" + (o.items ? "items" : "inputs") + "\n" + std::to_string(index) + "\n";
  for (const auto& l : lines) material += l.text + "\n";
  return "cli-" + sha256Hex(material).substr(0, 48);
}
}  // namespace

std::string sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::optional<std::string> readInput(const std::string& path, const SubmitOptions& options, InputFile& out) {
  std::ifstream in(path);
  if (!in) return "cannot read " + path;
  std::vector<InputLine> all;
  std::string problems;
  int bad = 0;
  std::string raw;
  for (int n = 1; std::getline(in, raw); ++n) {
    std::string text = trim(raw);
    if (text.empty()) continue;
    rapidjson::Document d;
    // The line goes into a batch body: as runs[i].input (3 levels down) or, with --items, as runs[i].
    const json::ParseStatus st = json::parse(d, text, json::maxDepth() - (options.items ? 2 : 3));
    std::string why;
    if (!st) {
      why = st.kind == json::ParseStatus::Kind::kSyntax ? "not valid JSON" : st.message();
    } else if (options.items && (!d.IsObject() || !d.HasMember("input"))) {
      why = "with --items every line must be an object with an \"input\" field";
    }
    if (!why.empty()) {
      if (++bad <= 20) problems += "\n  line " + std::to_string(n) + ": " + why;
      continue;
    }
    all.push_back({n, std::move(text)});
  }
  if (bad) {
    if (bad > 20) problems += "\n  … and " + std::to_string(bad - 20) + " more";
    return path + ": " + std::to_string(bad) + " invalid line(s); nothing was submitted:" + problems;
  }
  if (all.empty()) return path + " has no runs (no non-empty lines)";
  out = {};
  out.runs = all.size();
  for (size_t start = 0; start < all.size(); start += options.batch_size) {
    InputBatch b;
    b.index = static_cast<int>(out.batches.size());
    size_t end = std::min(all.size(), start + options.batch_size);
    b.lines.assign(all.begin() + start, all.begin() + end);
    b.idempotency_key = keyFor(options, b.index, b.lines);
    out.batches.push_back(std::move(b));
  }
  return std::nullopt;
}

std::string batchBody(const InputBatch& batch, const SubmitOptions& options) {
  std::string body = "{";
  if (!options.workflow.empty()) {
    // Workflow ids are validated by the API; escape the few characters JSON needs.
    body += "\"workflow_id\":\"";
    for (char c : options.workflow) {
      if (c == '"' || c == '\\') body += '\\';
      body += c;
    }
    body += "\",";
  }
  if (options.priority) body += "\"priority\":" + std::to_string(*options.priority) + ",";
  body += "\"runs\":[";
  for (size_t i = 0; i < batch.lines.size(); ++i) {
    if (i) body += ',';
    if (options.items) {
      body += batch.lines[i].text;
    } else {
      body += "{\"input\":" + batch.lines[i].text + "}";
    }
  }
  return body + "]}";
}

}  // namespace batchrun::cli
