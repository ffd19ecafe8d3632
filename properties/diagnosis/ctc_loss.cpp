// ctc_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): mean without the division by the target
// lengths, zero_infinity ignored (or applied when not asked), the blank taken as 0; no overflow explanation (the
// recursion works in log space: a non-finite answer of finite log_probs is an impossible alignment, which the
// reference gives too).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace ctc_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  const auto zi = c.options.find("zero_infinity");
  const bool zero_infinity = zi != c.options.end() && std::holds_alternative<bool>(zi->second) && std::get<bool>(zi->second);
  loss_case flipped = c;
  flipped.options["zero_infinity"] = !zero_infinity;
  m.add_case(zero_infinity ? "ignores zero_infinity=True (an impossible alignment stays inf, its gradient NaN)"
                           : "zeroes infinite losses although zero_infinity=False",
             "bug", flipped);
  const auto bl = c.options.find("blank");
  if (bl != c.options.end() && std::holds_alternative<std::int64_t>(bl->second) && std::get<std::int64_t>(bl->second) != 0) {
    loss_case zero = c;
    zero.options["blank"] = std::int64_t{0};
    m.add_case("takes the blank to be 0 (ignores the `blank` option)", "bug", zero);
  }
  // mean as Σ none / N, without dividing each loss by max(target_length, 1)
  if (detail::effective_reduction(c) != "mean") return;
  try {
    const tensor* tl = c.input("target_lengths");
    if (!tl || tl->ints.empty()) return;
    loss_case none = detail::with_reduction(c, "none");
    const long double n = static_cast<long double>(tl->ints.size());
    const double g = c.grad_output ? c.grad_output->values.at(0) : 1.0;
    none.grad_output = detail::rounded(c.type, detail::output_shape_of(none),
                                       std::vector<long double>(tl->ints.size(), g / n));
    const loss_result vn = m.reference.evaluate(none);
    if (!vn.ok()) return;
    long double s = 0;
    for (double v : vn.output->values) s += v;
    loss_result cand = vn;
    cand.output = detail::rounded(c.type, {}, {s / n});
    if (std::all_of(tl->ints.begin(), tl->ints.end(), [](auto l) { return l <= 1; })) return;  // identical then
    m.add({"`mean` averages the losses without dividing each by its target length (torch: mean of loss / "
           "max(target_length, 1))",
           "convention", std::move(cand), check::tolerance_for(c)});
  } catch (const std::exception&) {
    // the reference or the tolerance model rejects the case: the mistake cannot be evaluated here
  }
}

std::string overflow_explanation(const loss_case&) { return ""; }

}  // namespace
}  // namespace ctc_loss_diagnosis_helpers

loss_diagnosis ctc_loss_diagnosis() {
  using namespace ::losscheck::properties::ctc_loss_diagnosis_helpers;
  return {.mistakes = mistakes, .overflow_explanation = overflow_explanation};
}

}  // namespace losscheck::properties
