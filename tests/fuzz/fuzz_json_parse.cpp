// The bounded JSON parse (common/include/batchrun/common/json_parse.hpp) every JSON text in
// batchrun goes through, and the helpers around it in json.hpp: where a failed parse stopped
// (pathAt/formatPath), stringify, appendString, toValidUtf8.
#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

namespace {

void checkParse(std::string_view text, int max_depth) {
  rapidjson::Document doc;
  const json::ParseStatus st = json::parse(doc, text, max_depth);
  if (!st) {
    FUZZ_CHECK(doc.IsNull());
    FUZZ_CHECK(st.offset <= text.size());
    FUZZ_CHECK(!st.message().empty());
    if (st.kind == json::ParseStatus::Kind::kTooDeep) FUZZ_CHECK(st.max_depth == max_depth);
    // Naming the field of a refused body reads the text up to the offset, never past it.
    const auto steps = json::pathAt(text, st.offset, 16);
    FUZZ_CHECK(steps.size() <= 16);
    (void)json::formatPath(steps);
    return;
  }
  // Accepted text is UTF-8; writing it out and reading it back gives the same value, and a second
  // write the same text (the value is at most max_depth deep, so none of this overflows).
  FUZZ_CHECK(json::validUtf8(text));
  const std::string once = json::stringify(doc);
  FUZZ_CHECK(json::validUtf8(once));
  rapidjson::Document again;
  FUZZ_CHECK(json::parse(again, once, max_depth).ok());
  if (fuzz::holdsDouble(doc)) return;  // an open bug: doubles may drift (fuzz_support.hpp)
  FUZZ_CHECK(again == doc);
  FUZZ_CHECK(json::stringify(again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::text(data, size);
  fuzz::noThrow("json::parse", [&] {
    checkParse(text, json::kDefaultMaxDepth);
    checkParse(text, json::kMinMaxDepth);  // reaches the depth limit with 17 bytes

    // The UTF-8 check agrees with itself: the bytes before a bad one are valid.
    const size_t bad = json::invalidUtf8At(text);
    if (bad != std::string_view::npos) {
      FUZZ_CHECK(bad < text.size());
      FUZZ_CHECK(json::validUtf8(text.substr(0, bad)));
    }

    // Any bytes become a valid JSON string whose value is their UTF-8-repaired form.
    const std::string repaired = json::toValidUtf8(text);
    FUZZ_CHECK(json::validUtf8(repaired));
    if (bad == std::string_view::npos) FUZZ_CHECK(repaired == text);
    const std::string cut = json::toValidUtf8(text, size / 2);
    FUZZ_CHECK(json::validUtf8(cut));
    std::string quoted;
    json::appendString(quoted, text);
    rapidjson::Document s;
    FUZZ_CHECK(json::parse(s, quoted).ok());
    FUZZ_CHECK(s.IsString());
    FUZZ_CHECK(std::string_view(s.GetString(), s.GetStringLength()) == repaired);
  });
  return 0;
}
