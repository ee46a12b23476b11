#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "db/database.hpp"

namespace mc::db {
namespace {

TEST(Lsn, ParsesPostgresqlsTextForm) {
  EXPECT_EQ(parse_lsn("16/B374D848"), Lsn{0x16B374D848});
  EXPECT_EQ(parse_lsn("0/0"), Lsn{0});
  EXPECT_EQ(parse_lsn("0/3039440"), Lsn{0x3039440});
  EXPECT_EQ(parse_lsn("16/b374d848"), Lsn{0x16B374D848});  // either case
  EXPECT_EQ(parse_lsn("00000016/0000000A"), Lsn{0x160000000A});
  EXPECT_EQ(parse_lsn("FFFFFFFF/FFFFFFFF"), std::numeric_limits<Lsn>::max());
}

TEST(Lsn, FormatsLikePostgresql) {
  EXPECT_EQ(format_lsn(0x16B374D848), "16/B374D848");
  EXPECT_EQ(format_lsn(0), "0/0");
  EXPECT_EQ(format_lsn(0x100000000), "1/0");
  EXPECT_EQ(format_lsn(std::numeric_limits<Lsn>::max()), "FFFFFFFF/FFFFFFFF");
}

TEST(Lsn, RoundTrips) {
  for (const Lsn lsn : {Lsn{0}, Lsn{1}, Lsn{0xFFFFFFFF}, Lsn{0x100000000}, Lsn{0x16B374D848}, Lsn{0xDEADBEEF0BADF00D},
                        std::numeric_limits<Lsn>::max()}) {
    const std::string text = format_lsn(lsn);
    EXPECT_EQ(parse_lsn(text), lsn) << text;
    EXPECT_EQ(format_lsn(*parse_lsn(text)), text);
  }
}

TEST(Lsn, RejectsAnythingElse) {
  for (const char* bad : {"",      "/",    "16",    "16/",         "/B374D848",   "16B374D848", "16/B374D848/1",
                          "1/2/3", "G/0",  "0/G",   "-1/0",        "+1/0",        "0/-1",       " 1/0",
                          "1/0 ",  "1 /0", "0x1/0", "123456789/0", "0/123456789", "1/0\n",      "NULL"}) {
    EXPECT_EQ(parse_lsn(bad), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace mc::db
