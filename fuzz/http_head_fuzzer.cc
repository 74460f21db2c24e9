// libFuzzer target: the bytes an HTTP client sends before its body
// (node/http_head.h): split into pieces as they might arrive, scanned for the
// head's end within the bounds, and a complete head parsed by Beast's parser.
// A complete head must end with a blank line and lie within the bounds.
// Its seeds (fuzz/seeds/http_head_fuzzer) are requests written by hand.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "node/http_head.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks where the bytes are cut into two arrivals.
  size_t cut = size > 1 ? data[0] % size : 0;
  std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr size_t kMaxBytes = 4096, kMaxHeaders = 16;
  size_t scanned = 0;
  node::HeadScan scan =
      node::scan_head(all.substr(0, std::min(cut, all.size())), &scanned, kMaxBytes, kMaxHeaders);
  if (scan.result == node::HeadScan::Result::Incomplete)
    scan = node::scan_head(all, &scanned, kMaxBytes, kMaxHeaders);
  if (scan.result != node::HeadScan::Result::Complete) return 0;
  std::string_view head = all.substr(0, scan.size);
  if (head.size() > kMaxBytes || !head.ends_with("\r\n\r\n"))
    fuzz::finding("a complete head past its bounds or without its blank line");
  node::RequestParser parser;
  auto request = node::parse_head(parser, head);
  if (request && request->method.empty()) fuzz::finding("a parsed request without a method");
  return 0;
}
