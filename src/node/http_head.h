// The pieces of an HTTP request that HttpServer reads itself, before Beast's
// parser sees them: where a request's head (its line and headers) ends, so
// that an endless or oversized head is refused by its size and line count
// before it is parsed, and the query string of its target.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "node/http_server.h"

namespace interstice::node {

// Where the head of the request at the start of `bytes` ends. `scanned`
// carries how much of `bytes` earlier calls searched (0 for a new request),
// so that a head arriving in pieces is searched once.
struct HeadScan {
  enum class Result { Incomplete, Complete, TooLarge, TooManyHeaders };
  Result result = Result::Incomplete;
  size_t size = 0;  // Complete: bytes of the head, through the blank line
};
HeadScan scan_head(std::string_view bytes, size_t* scanned, size_t max_bytes, size_t max_headers);

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Parses a complete head (as scan_head found it) with a fresh `parser`,
// which then reads the body: the request's method, path, query parameters
// and headers (by lower-case name). InvalidArgument if it is malformed.
// The parser's body limit is left unset, for the caller to decide.
base::Result<HttpRequest> parse_head(RequestParser& parser, std::string_view head);

// A target's query string ("a=1&b=x%20y") as decoded parameters; the last of
// repeated names wins, and a name without `=` has an empty value.
std::map<std::string, std::string> parse_query(std::string_view query);

// Percent-decoding, with '+' as a space; an invalid escape is kept as it is.
std::string percent_decode(std::string_view text);

}  // namespace interstice::node
