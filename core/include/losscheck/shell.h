#pragma once
/// @file shell.h
/// Quoting for the replay lines losscheck prints (`losscheck run --target 'exec:python3 x.py'`), so that a line
/// copied into a POSIX shell passes each argument through unchanged.

#include <string>
#include <string_view>

namespace losscheck {

/// `s` as one word of a POSIX shell command line: unchanged when it is not empty and holds only characters no shell
/// treats specially (letters, digits and `_ - . , / : + =`, with no `=` first), otherwise in single quotes, each `'`
/// written as `'\''`. The empty string is `''`.
std::string shell_quote(std::string_view s);

}  // namespace losscheck
