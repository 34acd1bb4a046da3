#pragma once
// The JSON writer batchrun writes with: use json::Writer, never rapidjson::Writer<StringBuffer>.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace batchrun::json {

// RapidJSON 1.1.0's SIMD string scan (RAPIDJSON_SSE2, on for x86-64 in cmake/BatchrunDeps.cmake)
// is specialised for exactly Writer<StringBuffer> and compares with 0x19 where it means 0x1F, so
// 0x1A-0x1F in the middle of a string of 16+ bytes were written raw: invalid JSON (Schemathesis
// found one in a run's metadata, which every reader then refused). Another flag makes another
// type, whose scan is the scalar one that escapes every control character. NaN and infinity,
// which the flag would write, are never in a value: the parser refuses them.
using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                 rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

}  // namespace batchrun::json
