#pragma once
// Structured JSON logs on stderr through spdlog: one object per line with ts, level, service, msg
// and any fields given (run_id, batch_id, ...). Secrets are never passed here. Thread-safe.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace batchrun::log {

using Field = std::pair<std::string_view, std::string_view>;

void init(std::string_view service, std::string_view level = "info");
void debug(std::string_view msg, std::initializer_list<Field> fields = {});
void info(std::string_view msg, std::initializer_list<Field> fields = {});
void warn(std::string_view msg, std::initializer_list<Field> fields = {});
void error(std::string_view msg, std::initializer_list<Field> fields = {});
// Whether debug lines are written: lets hot paths skip building their fields.
bool debugEnabled();

// JSON string escaping, shared with anything that writes JSON by hand.
void appendJsonEscaped(std::string& out, std::string_view s);

}  // namespace batchrun::log
