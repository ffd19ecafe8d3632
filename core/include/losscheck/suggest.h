#pragma once
/// @file suggest.h
/// "did you mean": the known name closest to a mistyped one (losses, properties, targets, options).

#include <string>
#include <string_view>
#include <vector>

namespace losscheck {

/// The name of `known` closest to `got` by edit distance (insertions, deletions, substitutions and swaps of
/// neighbours, case-insensitive), when it is close enough to be a typo: at most max(1, |got| / 4) edits, or `got`
/// is a prefix of exactly one name. "" when nothing is close.
std::string closest_name(std::string_view got, const std::vector<std::string>& known);

/// "; did you mean 'NAME'?" for closest_name(got, known), or "" — to append to an "unknown X 'got'" message.
std::string did_you_mean(std::string_view got, const std::vector<std::string>& known);

}  // namespace losscheck
