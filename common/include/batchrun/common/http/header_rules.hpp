#pragma once
// The rules a header supplied by a user (a run's forwarded headers, an Upstash failure callback's
// headers) must meet before batchrun sends it to a worker or callback. Ingest refuses a run that
// breaks them (400 naming the item and header); the dispatcher checks again before sending and
// drops what fails, so a record written by an older version cannot put bytes on the wire that
// would split or reframe the request (CR/LF smuggling a second request onto a pooled keep-alive
// connection, a forwarded Content-Length or Host replacing the real one). Pure functions,
// thread-safe, no allocation beyond the returned message.
#include <optional>
#include <string>
#include <string_view>

namespace batchrun {

// RFC 9110 §5.6.2 token: 1*tchar (ALPHA DIGIT and !#$%&'*+-.^_`|~).
bool isHeaderToken(std::string_view name);
// RFC 9110 §5.5 field-value characters: SP, HTAB, visible ASCII and obs-text (bytes >= 0x80, so
// UTF-8 passes); never CR, LF, NUL or another control character (DEL included).
bool isSafeHeaderValue(std::string_view value);
// Names batchrun sets itself or that frame the connection, compared case-insensitively:
// Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer, Host, Expect,
// Proxy-*, Content-Type (the body is JSON), traceparent (batchrun sends the run's trace context;
// a second one would make the pair invalid) and batchrun-* (the run id, attempt, timestamp and
// signature a worker trusts).
bool isReservedHeader(std::string_view name);

// Why a user-supplied header may not be forwarded (a message fit for a field error: "must ..."),
// or nullopt when it may.
std::optional<std::string> forwardedHeaderProblem(std::string_view name, std::string_view value);

}  // namespace batchrun
