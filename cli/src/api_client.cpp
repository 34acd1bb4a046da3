#include "batchrun/cli/api_client.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "batchrun/common/json_parse.hpp"

namespace batchrun::cli {

namespace {
size_t onBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name == "retry-after") {
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      *static_cast<std::string*>(user) = v;
    }
  }
  return size * n;
}
}  // namespace

std::string describeError(const ApiResponse& r, const std::function<std::string(int)>& index_to_line) {
  if (r.status == 0) return "no answer from the API: " + r.error;
  std::string out = "HTTP " + std::to_string(r.status);
  rapidjson::Document d;
  const bool parsed = json::parseRecord(d, r.body).ok();
  if (!parsed || !d.IsObject() || !d.HasMember("error") || !d["error"].IsObject()) {
    return out + (r.body.empty() ? "" : ": " + r.body.substr(0, 500));
  }
  const auto& e = d["error"];
  if (e.HasMember("code") && e["code"].IsString()) out += std::string(" ") + e["code"].GetString();
  if (e.HasMember("message") && e["message"].IsString()) out += std::string(": ") + e["message"].GetString();
  if (e.HasMember("details") && e["details"].IsArray()) {
    int shown = 0;
    for (const auto& det : e["details"].GetArray()) {
      if (!det.IsObject()) continue;
      if (++shown > 20) {
        out += "\n  … and " + std::to_string(e["details"].Size() - 20) + " more";
        break;
      }
      out += "\n  ";
      if (det.HasMember("index") && det["index"].IsInt() && index_to_line) out += index_to_line(det["index"].GetInt()) + ": ";
      if (det.HasMember("field") && det["field"].IsString()) out += std::string(det["field"].GetString()) + " ";
      if (det.HasMember("message") && det["message"].IsString()) out += det["message"].GetString();
    }
  }
  return out;
}

double retryAfterSeconds(const std::string& header, double fallback) {
  if (header.empty()) return fallback;
  char* end = nullptr;
  double s = std::strtod(header.c_str(), &end);
  if (end == header.c_str() || s < 0) return fallback;  // an HTTP-date: not worth parsing for a CLI
  return std::min(s, 300.0);
}

ApiClient::ApiClient(CliConfig config, Notice notice)
    : config_(std::move(config)), notice_(std::move(notice)), curl_(curl_easy_init()) {}

ApiClient::~ApiClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

ApiResponse ApiClient::call(const std::string& method, const std::string& path, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers, bool repeatable) {
  double backoff = 0.5;
  for (int attempt = 0;; ++attempt) {
    std::string retry_after;
    ApiResponse r = once(method, path, body, headers, retry_after);
    bool busy = r.status == 429 || r.status == 503;
    bool transport = r.status == 0 || r.status == 502 || r.status == 504;
    if (!(busy || (transport && repeatable)) || attempt >= config_.max_retries) return r;
    double wait = busy ? retryAfterSeconds(retry_after, backoff) : backoff;
    backoff = std::min(backoff * 2, 10.0);
    if (notice_) {
      notice_((r.status ? "HTTP " + std::to_string(r.status) : r.error) + " from " + method + " " + path +
              "; retrying in " + std::to_string(static_cast<int>(wait * 1000)) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(wait * 1000)));
  }
}

ApiResponse ApiClient::once(const std::string& method, const std::string& path, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            std::string& retry_after) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  ApiResponse r;
  std::string url = config_.url + path;
  std::string auth = "Authorization: Bearer " + config_.api_key;
  curl_slist* list = curl_slist_append(nullptr, auth.c_str());
  list = curl_slist_append(list, "Accept: application/json");
  if (!body.empty()) list = curl_slist_append(list, "Content-Type: application/json");
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || method == "PUT" || !body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &retry_after);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  return r;
}

}  // namespace batchrun::cli
