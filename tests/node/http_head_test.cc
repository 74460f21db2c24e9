// The parts of a request that HttpServer reads before and with Beast's
// parser (http_head.h): the head's end and bounds, the parsed head, the query.
#include "node/http_head.h"

#include <gtest/gtest.h>

#include <string>

namespace interstice::node {
namespace {

TEST(HttpHead, AHeadArrivingInPiecesIsFoundOnce) {
  std::string bytes = "GET /health HTTP/1.1\r\nHost: x\r\n";
  size_t scanned = 0;
  EXPECT_EQ(scan_head(bytes, &scanned, 1024, 8).result, HeadScan::Result::Incomplete);
  EXPECT_EQ(scanned, bytes.size());
  bytes += "\r\nPOST /next";  // the blank line, then the next request's start
  HeadScan scan = scan_head(bytes, &scanned, 1024, 8);
  ASSERT_EQ(scan.result, HeadScan::Result::Complete);
  EXPECT_EQ(bytes.substr(scan.size), "POST /next");
}

TEST(HttpHead, TooManyLinesOrBytesAreFoundBeforeTheEnd) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 10; ++i) many += "X-A: 1\r\n";
  size_t scanned = 0;
  EXPECT_EQ(scan_head(many, &scanned, 1 << 20, 8).result, HeadScan::Result::TooManyHeaders);
  scanned = 0;
  EXPECT_EQ(scan_head(many, &scanned, 1 << 20, 10).result, HeadScan::Result::Incomplete);
  std::string long_line = "GET / HTTP/1.1\r\nX-Long: " + std::string(2000, 'a');
  scanned = 0;
  EXPECT_EQ(scan_head(long_line, &scanned, 1024, 8).result, HeadScan::Result::TooLarge);
}

TEST(HttpHead, AParsedHeadHasItsPathQueryAndHeaders) {
  std::string head =
      "POST /tables/a/b?after=0a%2F&limit=5&flag HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer k\r\nContent-Length: 3\r\n\r\n";
  RequestParser parser;
  auto request = parse_head(parser, head);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->path, "/tables/a/b");
  EXPECT_EQ(request->params.at("after"), "0a/");
  EXPECT_EQ(request->params.at("limit"), "5");
  EXPECT_EQ(request->params.at("flag"), "");
  EXPECT_EQ(request->header("authorization"), "Bearer k");
  EXPECT_EQ(*parser.content_length(), 3u);
  EXPECT_FALSE(parser.is_done());  // its body follows
}

TEST(HttpHead, MalformedHeadsAreRefused) {
  for (const char* bad :
       {"GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    RequestParser parser;
    auto request = parse_head(parser, bad);
    ASSERT_FALSE(request) << bad;
    EXPECT_EQ(request.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_TRUE(request.error().message.starts_with("the request is malformed")) << bad;
  }
}

TEST(HttpHead, PercentDecodingKeepsInvalidEscapes) {
  EXPECT_EQ(percent_decode("a+b%20c"), "a b c");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(parse_query("a=1&a=2&&b").at("a"), "2");
}

}  // namespace
}  // namespace interstice::node
