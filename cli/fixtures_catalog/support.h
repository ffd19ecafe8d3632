#pragma once
// Private to the fixture catalog: what every loss's cases (cli/fixtures_catalog/<loss>.cpp) are built with -- the
// deterministic generator, the case builder, the reduction option sets, value regimes and tensor makers -- and the
// one entry point per loss, which cli/fixtures_catalog.cpp calls through a table indexed by loss_record::index.
//
// Deterministic: a fixed seed, splitmix64 (no std distributions), values on grids exactly representable in float32
// (so a float32 and a float64 case hold the same numbers), and fixed iteration orders. Every value is drawn in the
// order the code reads, so moving a draw changes the committed fixtures (the regeneration test says so).
//
// The catalog compiles as one unit (CMakeLists.txt): a helper private to one loss's file goes in an anonymous
// namespace with a name no other file uses.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/loss_list.h"

namespace losscheck::cli::catalog {

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// splitmix64 (Steele, Lea, Flood 2014): portable and the same everywhere.
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// In [0, 1) on a grid of 2^-20.
  double unit() { return std::ldexp(static_cast<double>(next() >> 44), -20); }
  /// In [lo, hi), rounded to float32 (exact: a 2^-20 grid scaled by hi - lo, then rounded once).
  double uniform(double lo, double hi) { return f32(lo + (hi - lo) * unit()); }
  std::int64_t index(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(index(static_cast<std::int64_t>(v.size())))]; }
  static double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

 private:
  std::uint64_t state_;
};

using options = std::map<std::string, option_value>;
using inputs = std::map<std::string, tensor>;

/// The dtypes every loss is run in.
inline const std::vector<dtype> dtypes{dtype::float32, dtype::float64};

/// The reduction option sets every loss is run with: each reduction, the deprecated alias, and the legacy flags
/// (which override `reduction`; a missing flag counts as true; null counts as absent). With `batchmean` (kl_div's
/// record allows it), also `batchmean` alone and with each legacy flag.
std::vector<options> reduction_sets(bool batchmean);

/// Collects one loss's cases, with ids "<loss>/<n>".
class builder {
 public:
  builder(std::string loss, splitmix64& g) : loss_(std::move(loss)), g_(g) {}

  /// Adds a case; float tensors take `type`; a `none` case gets a random grad_output, a reduced one sometimes a
  /// random scalar (valid cases only: the shape comes from losscheck's resolution of the case).
  void add(dtype type, options o, inputs in, bool random_grad = true);
  std::vector<loss_case> take() { return std::move(out_); }

 private:
  std::string loss_;
  splitmix64& g_;
  std::vector<loss_case> out_;
};

/// A float64 tensor of `shape` holding `v` (the builder gives float tensors the case's dtype).
tensor floats(shape_t shape, std::vector<double> v);

/// Value regimes of logits: ordinary (-3, 3), large (|x| in 50..1000), tiny (|x| < 2^-12), mixed.
enum class regime { ordinary, large, tiny, mixed };
tensor logits(splitmix64& g, const shape_t& shape, regime r);
/// Probabilities in [0, 1]; with `edges`, that share of them is 0, 1 or next to them.
tensor probabilities(splitmix64& g, const shape_t& shape, double edges);
tensor uniform(splitmix64& g, const shape_t& shape, double lo, double hi);
/// Targets for the BCE losses: kind 0 probabilities (with 0 and 1), 1 zeros and ones, 2 values outside [0, 1]
/// (which torch accepts).
tensor bce_targets(splitmix64& g, const shape_t& shape, int kind);
/// Class indices below `classes`, with that share of them `ignore` when given.
tensor class_targets(splitmix64& g, const shape_t& shape, std::int64_t classes, std::optional<std::int64_t> ignore,
                     double ignore_share);
/// `shape` with its last dimension 1: broadcasts to `shape` ((N, 1) for (N, C)).
shape_t trailing_one(shape_t shape);

/// How the class-index losses (cross_entropy, nll_loss) differ in class_index_cases.
struct class_index_family {
  bool label_smoothing;    ///< the loss has label_smoothing: cycle its values, and add a case with one > 1
  bool log_probabilities;  ///< the loss expects log-probabilities: make every other input <= 0 (it does not check)
};
/// Cases with class-index targets: every reduction × the class shapes (unbatched, batched, K-dimensional, N = 1,
/// empty, C = 1) × each ignore_index kind × weights, then every ignore_index × weight (× smoothing) on one shape,
/// every target ignored, zero weights, and the inputs torch rejects.
void class_index_cases(builder& b, splitmix64& g, class_index_family family);

// One entry point per loss, defined in cli/fixtures_catalog/<loss>.cpp: std::vector<loss_case> <loss>_cases(g).
#define LOSSCHECK_X(name) std::vector<loss_case> name##_cases(splitmix64& g);
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

}  // namespace losscheck::cli::catalog
