#include "core/log_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

TEST(EscapeForLog, KeepsPrintableAscii) {
  EXPECT_EQ(EscapeForLog("sensor-42/a b:c"), "sensor-42/a b:c");
  EXPECT_EQ(EscapeForLog(""), "");
}

TEST(EscapeForLog, NewlineCannotStartALine) {
  const std::string forged = EscapeForLog("x\n2026-01-01T00:00:00.000Z I forged");
  EXPECT_EQ(forged, "x\\n2026-01-01T00:00:00.000Z I forged");
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_EQ(EscapeForLog("a\rb\tc"), "a\\rb\\tc");
}

TEST(EscapeForLog, ControlsDelAndNonAsciiAsHex) {
  EXPECT_EQ(EscapeForLog("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(EscapeForLog(std::string_view("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeForLog("\x7f"), "\\x7f");
  EXPECT_EQ(EscapeForLog("\xc3\xa9"), "\\xc3\\xa9");
}

TEST(EscapeForLog, BackslashIsEscapedSoEscapesAreUnambiguous) {
  EXPECT_EQ(EscapeForLog("a\\nb"), "a\\\\nb");
}

TEST(EscapeForLog, LongInputIsCutWithEllipsis) {
  const std::string long_id(1000, 'z');
  EXPECT_EQ(EscapeForLog(long_id), std::string(kLogFieldMaxBytes, 'z') + "...");
  EXPECT_EQ(EscapeForLog("abcdef", 3), "abc...");
  EXPECT_EQ(EscapeForLog("abc", 3), "abc");
  // The bound is on input bytes: escaped output stays within 4x the bound plus the ellipsis.
  EXPECT_EQ(EscapeForLog(std::string(1000, '\x01')).size(), kLogFieldMaxBytes * 4 + 3);
}

}  // namespace
}  // namespace ringmq
