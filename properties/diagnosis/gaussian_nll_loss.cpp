// gaussian_nll_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): eps added to var instead of
// clamping it, var never clamped, var's gradient zeroed where it was clamped, `full` ignored.

#include <cmath>

#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace gaussian_nll_loss_diagnosis_helpers {
namespace {

/// The case's eps option (1e-6 when absent), as the case dtype holds it.
double eps_of(const loss_case& c) {
  const auto it = c.options.find("eps");
  const double eps = it == c.options.end() || !std::holds_alternative<double>(it->second)
                         ? 1e-6
                         : std::get<double>(it->second);
  return c.type == dtype::float32 ? static_cast<double>(static_cast<float>(eps)) : eps;
}

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  const tensor* var = c.input("var");
  if (!var || var->type == dtype::int64) return;
  const double eps = eps_of(c);
  // var + eps (rounded to the dtype) and no clamp: the reference's answer to var' = var + eps with eps = 0 (the clamp
  // at 0 changes no var >= 0), whose var gradient is also the mistake's (d/dvar of f(var + eps))
  loss_case added = c;
  for (auto& v : added.inputs["var"].values)
    v = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(v + eps)) : v + eps;
  added.options["eps"] = 0.0;
  m.add_case("adds eps to var instead of clamping it (torch: max(var, eps))", "bug", added);
  if (eps > 0) {
    loss_case unclamped = c;
    unclamped.options["eps"] = 0.0;
    m.add_case("does not clamp var at eps", "bug", unclamped);
  }
  const auto it = c.options.find("full");
  const bool full = it != c.options.end() && std::holds_alternative<bool>(it->second) && std::get<bool>(it->second);
  loss_case flipped = c;
  flipped.options["full"] = !full;
  m.add_case(full ? "ignores `full=True` (leaves out log(2 pi) / 2)" : "adds log(2 pi) / 2 although `full=False`", "bug",
             flipped);
  // var's gradient zeroed where var < eps (a clamp that is differentiated, or a mask): the reference's answer with
  // those elements of var's gradient set to 0
  try {
    loss_result v = m.reference.evaluate(c);
    if (!v.ok()) return;
    auto g = v.grads.find("var");
    if (g == v.grads.end()) return;
    bool changed = false;
    for (std::size_t j = 0; j < var->values.size() && j < g->second.values.size(); ++j)
      if (var->values[j] < eps && g->second.values[j] != 0) g->second.values[j] = 0, changed = true;
    if (changed)
      m.add({"zeroes var's gradient where var < eps (torch's clamp under no_grad passes it as the identity)", "bug",
             std::move(v), check::tolerance_for(c)});
  } catch (const std::exception&) {
    // the reference or the tolerance model rejects the case: the mistake cannot be evaluated here
  }
}

}  // namespace
}  // namespace gaussian_nll_loss_diagnosis_helpers

loss_diagnosis gaussian_nll_loss_diagnosis() {
  using namespace ::losscheck::properties::gaussian_nll_loss_diagnosis_helpers;
  return {.mistakes = mistakes};
}

}  // namespace losscheck::properties
