#include "batchrun/common/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "batchrun/common/json.hpp"
#include "batchrun/common/json_parse.hpp"

namespace batchrun::log {

namespace {
std::string& serviceName() {
  static std::string name = "batchrun";
  return name;
}

void emit(spdlog::level::level_enum level, std::string_view msg, std::initializer_list<Field> fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string line = "\"service\":\"";  // the pattern supplies the opening brace
  appendJsonEscaped(line, serviceName());
  line += "\",\"msg\":\"";
  appendJsonEscaped(line, msg);
  line += '"';
  // A field may carry what a client or a record sent (a refused header, a poison record's reason):
  // bytes that are not UTF-8 are replaced, so every line stays JSON a log pipeline can read.
  auto append = [&line](std::string_view s) {
    if (json::validUtf8(s)) appendJsonEscaped(line, s);
    else appendJsonEscaped(line, json::toValidUtf8(s));
  };
  for (const auto& [k, v] : fields) {
    line += ",\"";
    append(k);
    line += "\":\"";
    append(v);
    line += '"';
  }
  line += '}';
  logger->log(level, line);
}
}  // namespace

void appendJsonEscaped(std::string& out, std::string_view s) {
  // Runs of characters that need no escape are appended in one go: every Kafka record and answer
  // is written through here (per-character appends were ~6 % of ingest's CPU in a profile).
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        }
    }
  }
  out.append(s.data() + start, s.size() - start);
}

void init(std::string_view service, std::string_view level) {
  serviceName() = std::string(service);
  auto logger = spdlog::stderr_logger_mt(std::string(service) + "-json");
  // The message is already a JSON object body; prepend time and level to make one object a line.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v)", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  // Every line reaches the file before log() returns, so a service killed with SIGKILL (or crashing)
  // loses none it logged: its last lines say what it was doing. spdlog 1.10's stderr sink already
  // fflush()es after each line, and stderr is unbuffered; flush_on(trace) states the guarantee here
  // instead of inheriting it from the sink, and stays true if the sink becomes a buffered one (a
  // file sink). Its price is one more fflush of an empty stream per line: a lock, no system call.
  // Not flush_every(1s): a thread per service, and still up to a second of lines lost on a kill.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

bool debugEnabled() { return spdlog::default_logger_raw()->should_log(spdlog::level::debug); }

void debug(std::string_view msg, std::initializer_list<Field> fields) { emit(spdlog::level::debug, msg, fields); }
void info(std::string_view msg, std::initializer_list<Field> fields) { emit(spdlog::level::info, msg, fields); }
void warn(std::string_view msg, std::initializer_list<Field> fields) { emit(spdlog::level::warn, msg, fields); }
void error(std::string_view msg, std::initializer_list<Field> fields) { emit(spdlog::level::err, msg, fields); }

}  // namespace batchrun::log
