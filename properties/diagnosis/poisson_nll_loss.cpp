// poisson_nll_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the Stirling term of `full` applied
// for every target or never, log_input misread, eps left out of log(input + eps); e^input beyond the dtype's range.

#include <fmt/format.h>

#include <cmath>

#include "../loss_properties.h"
#include "../support.h"
#include "losscheck/dtype_traits.h"

namespace losscheck::properties {
namespace poisson_nll_loss_diagnosis_helpers {
namespace {

bool flag(const loss_case& c, const char* name, bool fallback) {
  const auto it = c.options.find(name);
  return it == c.options.end() || !std::holds_alternative<bool>(it->second) ? fallback : std::get<bool>(it->second);
}

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  const bool full = flag(c, "full", false), log_input = flag(c, "log_input", true);
  loss_case d = c;
  d.options["log_input"] = !log_input;
  m.add_case(log_input ? "treats the input as the rate although `log_input=True` (computes input - target log(input "
                         "+ eps))"
                       : "treats the input as the log of the rate although `log_input=False`",
             "bug", d);
  if (full) {
    loss_case never = c;
    never.options["full"] = false;
    m.add_case("never adds the Stirling term (ignores `full=True`)", "bug", never);
  }
  if (!log_input) {
    loss_case no_eps = c;
    no_eps.options["eps"] = 0.0;
    m.add_case("computes log(input) without eps (torch: log(input + eps))", "bug", no_eps);
  }
  // The Stirling term applied for every target, not only where t > 1 (forward only: torch masks it after forming
  // it, so the gradients of such a mistake depend on how it is written): the reference's output + S(t) at t <= 1.
  const tensor* t = c.input("target");
  if (!full || !t || detail::effective_reduction(c) == "batchmean") return;
  try {
    const loss_result v = m.reference.evaluate(c);
    if (!v.ok()) return;
    loss_case none = detail::with_reduction(c, "none");
    const loss_result vn = m.reference.evaluate(none);
    if (!vn.ok()) return;
    const shape_t shape = vn.output->shape;
    std::vector<long double> added(vn.output->values.size());
    broadcast_walker w(t->shape, shape);
    bool differs = false;
    for (std::size_t i = 0; i < added.size(); ++i, w.next()) {
      const long double ti = t->values[static_cast<std::size_t>(w.offset())];
      const long double s = ti > 1 ? 0.0L : ti * std::log(ti) - ti + std::log(2 * 3.14159265358979323846264338327950288L * ti) / 2;
      added[i] = vn.output->values[i] + s;
      differs = differs || !(ti > 1);
    }
    if (!differs) return;
    loss_result cand = v;
    const std::string red = detail::effective_reduction(c);
    if (red == "none") {
      cand.output = detail::rounded(c.type, shape, added);
    } else {
      long double s = 0;
      for (auto a : added) s += a;
      if (red == "mean") s /= static_cast<long double>(added.size());
      cand.output = detail::rounded(c.type, {}, {s});
    }
    m.add({"adds the Stirling term for every target (torch adds it only where target > 1)", "bug", std::move(cand),
           check::tolerance_for(c)});
  } catch (const std::exception&) {
    // the reference or the tolerance model rejects the case: the mistake cannot be evaluated here
  }
}

std::string overflow_explanation(const loss_case& c) {
  if (!flag(c, "log_input", true)) return "";
  const tensor* in = c.input("input");
  if (!in || in->type == dtype::int64) return "";
  const double limit = dtype_traits(c.type).log_max_finite;
  for (std::size_t i = 0; i < in->values.size(); ++i)
    if (std::isfinite(in->values[i]) && in->values[i] > limit)
      return fmt::format("input[{}] = {}: exp(input) overflows {} (torch forms e^x, then subtracts t x)", i,
                         in->values[i], to_string(c.type));
  return "";
}

}  // namespace
}  // namespace poisson_nll_loss_diagnosis_helpers

loss_diagnosis poisson_nll_loss_diagnosis() {
  using namespace ::losscheck::properties::poisson_nll_loss_diagnosis_helpers;
  return {.mistakes = mistakes, .overflow_explanation = overflow_explanation};
}

}  // namespace losscheck::properties
