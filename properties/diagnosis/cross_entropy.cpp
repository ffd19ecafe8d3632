// cross_entropy's part of the diagnosis (loss_properties.h, loss_diagnosis): label smoothing ignored or with ε
// instead of ε/C; a log-sum-exp without the max shift.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace cross_entropy_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  auto it = c.options.find("label_smoothing");
  const double eps = it != c.options.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : 0.0;
  if (!(eps > 0)) return;
  loss_case plain = c, uniform = c;
  plain.options["label_smoothing"] = 0.0;
  uniform.options["label_smoothing"] = 1.0;
  m.add_case("ignores `label_smoothing`", "bug", plain);
  // torch: (1-ε)·nll + (ε/C)·Σ_c −log p_c; the mistake: (1-ε)·nll + ε·Σ_c −log p_c = (1-ε)·L(0) + ε·C·L(1),
  // where L(1) (label_smoothing=1) is the mean over classes of −log p_c. Linear, so it holds for the gradients
  // too; with class weights torch's smoothing term is weighted differently, so only without them.
  const tensor* in = c.input("input");
  if (c.input("weight") || detail::has_probability_target(c) || !in) return;
  try {
    const auto l0 = m.reference.evaluate(plain), l1 = m.reference.evaluate(uniform);
    const long double classes = static_cast<long double>(in->dim() >= 2 ? in->shape[1] : in->shape[0]);
    if (auto v = linear_combination(1 - static_cast<long double>(eps), l0, eps * classes, l1, c.type)) {
      auto t0 = check::tolerance_for(plain), t1 = check::tolerance_for(uniform);
      t0 = scale_tolerance(t0, 1, 2);
      // the scale of a sum of two terms: the sum of their scales
      auto add_scale = [&](check::tensor_tolerance& a, const check::tensor_tolerance& b, double fb) {
        for (std::size_t i = 0; i < a.scale.size() && i < b.scale.size(); ++i) a.scale[i] += fb * b.scale[i];
      };
      add_scale(t0.output, t1.output, static_cast<double>(eps * classes));
      for (auto& [n, g] : t0.grads)
        if (t1.grads.count(n)) add_scale(g, t1.grads.at(n), static_cast<double>(eps * classes));
      m.add({"label smoothing uses ε instead of ε/C", "bug", std::move(*v), std::move(t0)});
    }
  } catch (const std::exception&) {
    // the reference or the tolerance model rejects a variant (e.g. label_smoothing = 1 with a probability target):
    // this mistake cannot be evaluated on this case, and is not a candidate
  }
}

std::string overflow_explanation(const loss_case& c) {
  const tensor* in = c.input("input");
  if (!in || in->type == dtype::int64) return "";
  double hi = -INFINITY;
  for (double v : in->values)
    if (std::isfinite(v)) hi = std::max(hi, v);
  const double max_log = dtype_traits(c.type).log_max_finite;
  if (hi > max_log)
    return fmt::format("exp({}) overflows {}: consistent with a log-sum-exp computed without the max shift", hi,
                       to_string(c.type));
  return "";
}

}  // namespace
}  // namespace cross_entropy_diagnosis_helpers

loss_diagnosis cross_entropy_diagnosis() {
  using namespace ::losscheck::properties::cross_entropy_diagnosis_helpers;
  return {.mistakes = mistakes, .overflow_explanation = overflow_explanation};
}

}  // namespace losscheck::properties
