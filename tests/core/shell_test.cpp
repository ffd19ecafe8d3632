// shell_quote (core/include/losscheck/shell.h). The expected words in the table are written out by hand from the
// POSIX rules for single quotes (nothing inside them is special; a quote cannot appear inside, so it is written as
// '\''); the round trip then asks /bin/sh itself: `printf %s WORD` must print the original string back.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "losscheck/shell.h"

namespace {

using losscheck::shell_quote;

TEST(shell_quote, leaves_plain_words_alone_and_quotes_the_rest) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"impl", "impl"},
      {"exec:/usr/bin/python3", "exec:/usr/bin/python3"},
      {"mse_loss,kl_div", "mse_loss,kl_div"},
      {"a=b", "a=b"},
      {"float32+float64", "float32+float64"},
      {"", "''"},
      {"exec:python3 x.py", "'exec:python3 x.py'"},
      {"it's", "'it'\\''s'"},
      {"'", "''\\'''"},
      {"=cmd", "'=cmd'"},  // zsh would expand a leading '='
      {"~", "'~'"},
      {"$HOME", "'$HOME'"},
      {"a\nb", "'a\nb'"},
      {"{\"id\":1}", "'{\"id\":1}'"},
  };
  for (const auto& [in, want] : table) EXPECT_EQ(shell_quote(in), want) << "input: " << in;
}

/// What /bin/sh makes of `word` as the argument of printf %s.
std::string through_the_shell(const std::string& word) {
  const std::string command = "printf %s " + word;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return "<popen failed>";
  std::string out;
  char buf[256];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(shell_quote, the_shell_reads_back_the_original_string) {
  const std::vector<std::string> nasty = {
      "",         "plain",      "two words",   "it's",          "''",          "a'b'c",    "$HOME",
      "`id`",     "$(id)",      "a\\b",        "*",             "?",           "~",        "=cmd",
      "a=b",      "x\ny",       "tab\there",   "{\"id\":1}",    "!",           "#comment", "semi;colon",
      "a|b",      "a&b",        "<in>out",     "\xc3\xa9t\xc3\xa9", "exec:python3 x.py --flag 'quoted'",
  };
  for (const auto& s : nasty) EXPECT_EQ(through_the_shell(shell_quote(s)), s) << "quoted as: " << shell_quote(s);
}

}  // namespace
