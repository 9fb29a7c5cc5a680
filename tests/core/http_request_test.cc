#include "core/http_request.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(HttpRequest, CompleteGet) {
  const HttpHead head = ParseHttpRequestHead(
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAccept-Encoding: gzip\r\n\r\n");
  ASSERT_EQ(head.status, HttpHeadStatus::kComplete);
  EXPECT_EQ(head.request.method, "GET");
  EXPECT_EQ(head.request.path, "/metrics");
}

TEST(HttpRequest, QueryStringIsNotPartOfThePath) {
  const HttpHead head = ParseHttpRequestHead("GET /metrics?x=1 HTTP/1.0\n\n");
  ASSERT_EQ(head.status, HttpHeadStatus::kComplete);
  EXPECT_EQ(head.request.path, "/metrics");
}

TEST(HttpRequest, IncompleteUntilBlankLine) {
  EXPECT_EQ(ParseHttpRequestHead("").status, HttpHeadStatus::kIncomplete);
  EXPECT_EQ(ParseHttpRequestHead("GET /metr").status, HttpHeadStatus::kIncomplete);
  EXPECT_EQ(ParseHttpRequestHead("GET /metrics HTTP/1.1\r\nHost: x\r\n").status, HttpHeadStatus::kIncomplete);
}

TEST(HttpRequest, OtherMethodsParse) {
  const HttpHead head = ParseHttpRequestHead("POST /metrics HTTP/1.1\r\n\r\n");
  ASSERT_EQ(head.status, HttpHeadStatus::kComplete);
  EXPECT_EQ(head.request.method, "POST");
}

TEST(HttpRequest, MalformedRequestLineRefusedAtOnce) {
  EXPECT_EQ(ParseHttpRequestHead("hello\r\n").status, HttpHeadStatus::kMalformed);
  EXPECT_EQ(ParseHttpRequestHead("GET /metrics\r\n\r\n").status, HttpHeadStatus::kMalformed);
  EXPECT_EQ(ParseHttpRequestHead("GET /metrics SMTP/1.0\r\n").status, HttpHeadStatus::kMalformed);
  EXPECT_EQ(ParseHttpRequestHead("get /metrics HTTP/1.1\r\n").status, HttpHeadStatus::kMalformed);
  EXPECT_EQ(ParseHttpRequestHead("GET  /metrics HTTP/1.1\r\n").status, HttpHeadStatus::kMalformed);
}

}  // namespace
}  // namespace ringmq
