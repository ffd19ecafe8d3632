// "did you mean": optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring).

#include "losscheck/suggest.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace losscheck {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

/// Edits (insert, delete, substitute, swap two neighbours) turning a into b.
std::size_t distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

}  // namespace

std::string closest_name(std::string_view got, const std::vector<std::string>& known) {
  const std::string g = lower(got);
  if (g.empty()) return "";
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, g.size() / 4) + 1;
  std::vector<std::string> prefixed;
  for (const auto& k : known) {
    const std::string kl = lower(k);
    if (kl.starts_with(g)) prefixed.push_back(k);
    const std::size_t d = distance(g, kl);
    if (d < best_distance) best_distance = d, best = k;
  }
  if (best.empty() && prefixed.size() == 1) return prefixed.front();
  return best;
}

std::string did_you_mean(std::string_view got, const std::vector<std::string>& known) {
  const std::string c = closest_name(got, known);
  return c.empty() ? std::string() : fmt::format("; did you mean '{}'?", c);
}

}  // namespace losscheck
