#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace ringmq {
namespace {

TEST(Utf8, AcceptsAsciiAndMultiByte) {
  EXPECT_TRUE(IsValidMqttUtf8(""));
  EXPECT_TRUE(IsValidMqttUtf8("sensors/kitchen/temperature"));
  EXPECT_TRUE(IsValidMqttUtf8("caf\xC3\xA9"));              // U+00E9
  EXPECT_TRUE(IsValidMqttUtf8("\xE2\x82\xAC"));             // U+20AC
  EXPECT_TRUE(IsValidMqttUtf8("\xF0\x9F\x98\x80"));         // U+1F600
  EXPECT_TRUE(IsValidMqttUtf8("\xF4\x8F\xBF\xBF"));         // U+10FFFF
  EXPECT_TRUE(IsValidMqttUtf8("A\xF0\xAA\x9B\x94"));        // spec example 1.5.4: U+2A6D4
  EXPECT_TRUE(IsValidMqttUtf8("\xED\x9F\xBF"));             // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidMqttUtf8("\xEE\x80\x80"));             // U+E000, just above them
}

TEST(Utf8, AllowsControlCharactersAndNonCharacters) {
  EXPECT_TRUE(IsValidMqttUtf8("\x01\x1F\x7F"));
  EXPECT_TRUE(IsValidMqttUtf8("\xC2\x80\xC2\x9F"));  // U+0080, U+009F
  EXPECT_TRUE(IsValidMqttUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidMqttUtf8("\xEF\xB7\x90"));      // U+FDD0
}

TEST(Utf8, RejectsNul_MQTT_1_5_4_2) {
  EXPECT_FALSE(IsValidMqttUtf8(std::string_view("\0", 1)));
  EXPECT_FALSE(IsValidMqttUtf8(std::string_view("abc\0def", 7)));
  EXPECT_FALSE(IsValidMqttUtf8(std::string_view("abcdefgh\0ijklmnop", 17)));  // inside the word fast path
  EXPECT_FALSE(IsValidMqttUtf8("\xC0\x80"));  // overlong NUL
}

TEST(Utf8, RejectsSurrogates_MQTT_1_5_4_1) {
  EXPECT_FALSE(IsValidMqttUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsValidMqttUtf8("\xED\xBF\xBF"));  // U+DFFF
}

TEST(Utf8, RejectsOverlongForms) {
  EXPECT_FALSE(IsValidMqttUtf8("\xC1\xBF"));
  EXPECT_FALSE(IsValidMqttUtf8("\xE0\x9F\xBF"));
  EXPECT_FALSE(IsValidMqttUtf8("\xF0\x8F\xBF\xBF"));
}

TEST(Utf8, RejectsOutOfRangeAndBadBytes) {
  EXPECT_FALSE(IsValidMqttUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidMqttUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidMqttUtf8("\xFF"));
  EXPECT_FALSE(IsValidMqttUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidMqttUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidMqttUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidMqttUtf8("\xF0\x9F\x98"));      // truncated
  EXPECT_FALSE(IsValidMqttUtf8("\xE2\x28\xA1"));      // bad continuation
  EXPECT_FALSE(IsValidMqttUtf8("\xF0\x9F\x28\x80"));  // bad third byte
}

TEST(Utf8, FindsBadByteAfterLongAsciiRun) {
  std::string text(1000, 'a');
  EXPECT_TRUE(IsValidMqttUtf8(text));
  text[997] = '\xFF';
  EXPECT_FALSE(IsValidMqttUtf8(text));
  text[997] = 'a';
  text += "\xC3\xA9";
  EXPECT_TRUE(IsValidMqttUtf8(text));
}

}  // namespace
}  // namespace ringmq
