#pragma once
/// @file loss_properties.h
/// Internal to properties/: the part of each loss that the property layer needs beyond its record
/// (losscheck/loss_record.h) — its case generator, its own properties and the few hooks the generic properties ask —
/// registered by properties/<loss>.cpp; and its known mistakes for the diagnosis, registered by
/// properties/diagnosis/<loss>.cpp. Both are looked up by `loss_record::index` in tables built from
/// LOSSCHECK_FOR_EACH_LOSS: a loss without them fails to link, naming the missing function (docs/adding-a-loss.md).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generators.h"
#include "losscheck/check.h"
#include "losscheck/loss_list.h"
#include "losscheck/loss_record.h"
#include "losscheck/properties.h"

namespace losscheck::properties {

/// The property layer of one loss (properties/<loss>.cpp).
struct loss_properties {
  /// Fills `c.inputs` and the loss's own options as `p` allows (the reduction, the legacy flags and grad_output are
  /// chosen by gen_case around it). Every pick goes through RapidCheck so that counterexamples shrink.
  void (*generate)(loss_case& c, const case_profile& p) = nullptr;
  /// Appends the loss's own properties (its identities), after the generic ones its record asks for.
  void (*add)(std::vector<property>& out) = nullptr;
  /// generic_property::nonnegative: the profile under which the mathematics makes every element of `none` ≥ 0.
  std::optional<case_profile> nonnegative;
  /// For records with terms_before_broadcast: whether the value `v` of input `name` has finite terms of its own
  /// (nullptr: whether v is finite).
  bool (*own_terms_finite)(const loss_case& c, const std::string& name, double v) = nullptr;
  /// generic_property::finite_differences: RC_PRE()s that keep a smooth case away from the loss's kinks that the
  /// `smooth` profile cannot avoid by itself (nullptr: none).
  void (*away_from_kinks)(const loss_case& c) = nullptr;
};

/// A known mistake, evaluated: what the target would answer had it made it, with the tolerance of that answer.
struct candidate {
  std::string text;
  std::string kind;  ///< "convention" or "bug"
  loss_result value;
  check::tolerance tol;
};

/// What a loss's diagnosis hooks get: the case, the reference, and a way to add a candidate evaluated by the
/// reference on a variant of the case.
struct mistake_context {
  const loss_case& c;
  target& reference;
  /// Adds the candidate "the answer equals the reference's answer to `variant`" (left out when it cannot be evaluated).
  std::function<void(std::string text, std::string kind, const loss_case& variant)> add_case;
  /// Adds an already evaluated candidate.
  std::function<void(candidate)> add;
};

/// The diagnosis layer of one loss (properties/diagnosis/<loss>.cpp).
struct loss_diagnosis {
  /// Adds the loss's own known mistakes for `m.c` (an option ignored, a variant of the formula); the generic ones
  /// (reductions, divisors, ignored optional inputs, constant factors) are added by diagnosis.cpp.
  void (*mistakes)(const mistake_context& m) = nullptr;
  /// For a non-finite answer where the exact value is finite: a cause computed from the inputs, or "".
  std::string (*overflow_explanation)(const loss_case& c) = nullptr;
};

/// `r` with every value multiplied by f (in long double, then rounded to `type`).
loss_result scale_result(loss_result r, long double f, dtype type);
/// `t` for a result multiplied by f: scales × |f|, `extra_roundings` more roundings in the bound.
check::tolerance scale_tolerance(check::tolerance t, double f, double extra_roundings);
/// a·x + b·y element-wise (same shapes), rounded to `type`; nothing when they do not fit together.
std::optional<loss_result> linear_combination(long double a, const loss_result& x, long double b, const loss_result& y,
                                              dtype type);

#define LOSSCHECK_X(name)                 \
  loss_properties name##_properties();  \
  loss_diagnosis name##_diagnosis();
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

/// The property layer of `record`'s loss.
const loss_properties& properties_of(const loss_record& record);
/// The diagnosis layer of `record`'s loss.
const loss_diagnosis& diagnosis_of(const loss_record& record);

}  // namespace losscheck::properties
