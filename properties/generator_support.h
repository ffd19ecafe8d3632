#pragma once
/// @file generator_support.h
/// Internal to properties/: the pieces of the case generators (generators.cpp) that each loss's generator
/// (properties/<loss>.cpp, `loss_properties::generate`) is built from. Every pick goes through RapidCheck.

#include <rapidcheck.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "generators.h"
#include "losscheck/case.h"

namespace losscheck::properties::detail {

/// True with probability percent/100.
bool chance(int percent);

/// One of `items`, chosen with probability proportional to its weight (zero weights never).
template <class T>
T pick_weighted(const std::vector<std::pair<int, T>>& items) {
  int total = 0;
  for (const auto& [w, v] : items) total += w;
  int r = pick(rc::gen::inRange(0, total));
  for (const auto& [w, v] : items) {
    if (r < w) return v;
    r -= w;
  }
  return items.back().second;
}

/// A real value over all magnitudes with the edge classes the profile allows.
double pick_real(dtype t, const case_profile& p);
/// A probability (exact 0 and 1, near them, ordinary; outside [0, 1] or NaN when p.invalid).
double pick_probability(dtype t, const case_profile& p);
/// A BCE-style target: 0/1, a probability, or (not unit_targets) a value outside [0, 1].
double pick_unit_target(dtype t, const case_profile& p);
/// A weight: 0, ordinary positive, or negative (unless nonnegative_weights).
double pick_weight(dtype t, const case_profile& p);

/// Number of elements of `s` (no checks: generated shapes are small).
std::int64_t numel_of(const shape_t& s);
/// An elementwise shape: 0 to 3 dims (0-D only when unbatched is allowed), at most 24 elements, rarely empty.
shape_t pick_elementwise_shape(const case_profile& p);
/// A shape that broadcasts to `s`: trailing dims kept or set to 1, leading dims dropped.
shape_t pick_broadcast_of(const shape_t& s, const case_profile& p);

/// n values from `pick_one`.
std::vector<double> pick_values(std::int64_t n, const auto& pick_one) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = pick_one();
  return v;
}

/// A float tensor of `t` and shape `s` with values from `pick_one`.
tensor floats(dtype t, shape_t s, const auto& pick_one) {
  auto v = pick_values(numel_of(s), pick_one);
  return tensor::floats(t, std::move(s), std::move(v));
}

/// The generator of the class-index losses (cross_entropy, nll_loss): (C) / (N, C) / (N, C, d1..dk) logits,
/// targets valid, ignored or out of range, class weights; probability targets and label smoothing where the record
/// has them.
void generate_class_index_case(loss_case& c, const case_profile& p);

/// The elementwise losses' invalid shapes: with p.invalid, sometimes a target that neither matches nor broadcasts.
void elementwise_invalid_shapes(loss_case& c, const case_profile& p);

}  // namespace losscheck::properties::detail
