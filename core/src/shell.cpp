// Shell quoting for replay lines (shell.h).

#include "losscheck/shell.h"

namespace losscheck {

namespace {

bool is_plain(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
         ch == '.' || ch == ',' || ch == '/' || ch == ':' || ch == '+' || ch == '=';
}

}  // namespace

std::string shell_quote(std::string_view s) {
  bool plain = !s.empty() && s.front() != '=';  // zsh expands a leading '=' (`=cmd` is the path of cmd)
  for (char ch : s) plain = plain && is_plain(ch);
  if (plain) return std::string(s);
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += "'\\''";  // close the quote, an escaped quote, open again
    else out += ch;
  }
  return out + "'";
}

}  // namespace losscheck
