#pragma once
/// @file generators.h
/// RapidCheck generators of losscheck cases: floats over all magnitudes with weighted edge classes (±0, subnormals,
/// huge values, NaN and ±inf where a property wants them, values exact in float32), shapes (N = 0 and 1, C = 1 and 2,
/// K-dimensional, unbatched), every reduction and legacy-flag combination, and targets (valid, ignored, out of range).
/// RapidCheck's own arbitrary<double> never yields NaN, ±inf, −0 or subnormals, hence these.

#include <rapidcheck.h>

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "losscheck/case.h"

namespace losscheck {
/// Shows a case in RapidCheck's counterexamples as its JSON line (docs/format.md).
void showValue(const loss_case& c, std::ostream& os);
}  // namespace losscheck

namespace losscheck::properties {

/// A value of `g` generated at full size. RapidCheck scales inRange/element/... with the size of the test case (at
/// size 0 they always give their first value), but which edge class or option a case gets must not depend on it.
template <class T>
T pick(const rc::Gen<T>& g) {
  return *rc::gen::resize(100, g);
}

/// What a generated case may contain. The defaults give valid cases with finite, ordinary-to-huge values.
struct case_profile {
  bool nonfinite = false;  ///< NaN and ±inf among the float inputs
  bool extreme = false;    ///< weight the edges: logits near ±1e4, probabilities within ULPs of 0 and 1, subnormals
  bool invalid = false;    ///< also values, options and shapes torch rejects (targets out of range, BCE input ∉ [0,1])
  bool smooth = false;     ///< moderate values away from kinks and clamps (for finite differences)
  bool legacy = true;      ///< legacy size_average / reduce flags (with probability ~1/6)
  std::optional<std::string> reduction;  ///< a fixed reduction ("none", "sum", "mean", "batchmean")
  bool weights = true;     ///< optional weight / pos_weight inputs
  bool broadcast = true;   ///< broadcast shapes (mse, kl_div, BCE weights, cosine)
  bool grad_output = true; ///< a random grad_output (else omitted: ones)
  bool float32_exact = false;  ///< float64 cases hold values exact in float32 too
  // class losses (cross_entropy, nll_loss)
  enum class target_kind { any, index, probability } targets = target_kind::any;
  bool ignore = true;      ///< ignore_index other than the default, and targets equal to it
  bool smoothing = true;   ///< label smoothing (cross_entropy)
  bool kdim = true;        ///< (N, C, d1..dk) inputs
  int kdim_percent = 20;   ///< how often, when allowed
  bool unbatched = true;   ///< (C) inputs / (D) cosine inputs / 0-D elementwise inputs
  int max_batch = 4;       ///< N ≤ max_batch
  bool nonnegative_weights = false;  ///< weights ≥ 0 (for bounds)
  bool unit_targets = false;         ///< BCE targets in [0,1], kl targets ≥ 0
};

/// Rounds `v` to `type` (float32: to nearest float; float64: unchanged; the half dtypes to nearest, ties to even).
double round_to(double v, dtype type);
/// Rounds a long double to `type` (float32 and float64 in one rounding; the half dtypes through double).
double round_long(long double v, dtype type);
/// Rounds every float value of `c` (inputs, grad_output) to `c.type`, finite values beyond its range saturating at
/// ±max: what gen_case does last for a half case.
void round_values_to_dtype(loss_case& c);
/// The value of `type` next to `v` in the direction of `toward` (std::nextafter in the dtype; half dtypes included).
double next_in_dtype(double v, double toward, dtype type);

/// A real value of `type` over all magnitudes, with the edge classes the profile allows.
rc::Gen<double> gen_real(dtype type, const case_profile& p);
/// A probability in [0, 1] (exact 0 and 1, within a few ULPs of them, ordinary), or outside [0,1] when p.invalid.
rc::Gen<double> gen_probability(dtype type, const case_profile& p);

/// A case of `loss` in `type` as the profile allows.
rc::Gen<loss_case> gen_case(std::string_view loss, dtype type, const case_profile& p);

/// The edge classes a case reaches, for coverage tables ("NaN", "subnormal", "-0", "N=0", "K-dim", "ignored", ...).
std::vector<std::string> edge_classes(const loss_case& c);

}  // namespace losscheck::properties
