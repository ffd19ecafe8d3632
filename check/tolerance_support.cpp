// The helpers of tolerance_support.h: broadcasting scales, summing them back onto broadcast inputs, and applying a
// reduction to an elementwise tolerance.

#include "tolerance_support.h"

#include <algorithm>

namespace losscheck::check::detail {

vec broadcast_values(const tensor* t, const shape_t& to, double absent) {
  const auto n = static_cast<std::size_t>(checked_numel(to));
  vec out(n, absent);
  if (!t || n == 0) return out;
  broadcast_walker w(t->shape, to);
  for (std::size_t i = 0; i < n; ++i, w.next()) out[i] = t->values[static_cast<std::size_t>(w.offset())];
  return out;
}

std::int64_t reduce_to(const shape_t& from, const shape_t& to, const vec& s, vec& out) {
  out.assign(static_cast<std::size_t>(checked_numel(from)), 0.0);
  if (s.empty()) return 1;
  std::vector<std::int64_t> count(out.size(), 0);
  broadcast_walker w(from, to);
  for (std::size_t i = 0; i < s.size(); ++i, w.next()) {
    auto& o = out[static_cast<std::size_t>(w.offset())];
    o = std::isfinite(o) && std::isfinite(s[i]) ? saturate(o + s[i]) : o + s[i];
    ++count[static_cast<std::size_t>(w.offset())];
  }
  return count.empty() ? 1 : std::max<std::int64_t>(1, *std::max_element(count.begin(), count.end()));
}

double sum(const vec& v) {
  double s = 0;
  for (double x : v) s = std::isfinite(s) && std::isfinite(x) ? saturate(s + x) : s + x;
  return s;
}

vec grad_output_abs(const loss_case& c, std::size_t n, bool reduced) {
  vec g(n, 1.0);
  if (!c.grad_output) return g;
  for (std::size_t i = 0; i < n; ++i) g[i] = std::fabs(c.grad_output->values[reduced ? 0 : i]);
  return g;
}

tolerance finish(const loss_case& c, const elementwise& e, reduction red, double divisor, double extra_divisor) {
  tolerance t;
  const auto n = e.out.size();
  const double extra_k = extra_divisor != 1 ? 1 : 0;
  const bool reduced = red != reduction::none;
  const vec g = grad_output_abs(c, n, reduced);
  double div = 1;
  double k_red_out = 0, k_red_grad = 0;
  switch (red) {
    case reduction::none: break;
    case reduction::sum: k_red_out = static_cast<double>(n); break;
    case reduction::mean:
    case reduction::batchmean:
      div = divisor;
      k_red_out = static_cast<double>(n) + 1;
      k_red_grad = 1;
      break;
  }
  div *= extra_divisor;
  if (!reduced) {
    t.output.scale = e.out;
    for (auto& s : t.output.scale) s = s == saturated ? s : finite_or_zero(s / extra_divisor);
  } else {
    double total = sum(e.out);  // a saturated total stays saturated (see the gradients below)
    // an infinite term (an infinite input) beside a term beyond the dtype's range: the sum meets inf with an
    // overflowed ±inf of either sign, NaN whatever the value (float32 kl_div log_target x = [inf, 0], t = [0.0156,
    // 4096], mean: -inf + inf where the value is -inf): the overflow regime too
    const bool beyond = std::any_of(e.out.begin(), e.out.end(),
                                    [&](double s) { return std::isfinite(s) && s >= max_finite(c.type); });
    if (std::isinf(total) && beyond) total = saturated;
    t.output.scale = {div > 0 ? (total == saturated ? total : finite_or_zero(total / div)) : 0.0};
  }
  t.output.bound_ulps = e.k_out + k_red_out + extra_k;
  for (const auto& [name, gr] : e.grads) {
    vec s(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = gr.scale[i] * g[i] / (div > 0 ? div : 1);
      // a saturated scale (terms beyond double's range) stays saturated: the terms overflow before any division
      if (std::isfinite(gr.scale[i]) && std::isfinite(g[i]))
        s[i] = gr.scale[i] == saturated && g[i] > 0 ? gr.scale[i] : saturate(s[i]);
      // terms beyond the dtype's range overflow whatever g is (torch: 0 · e^128 = 0 · inf = NaN in float32)
      if (std::isfinite(gr.scale[i]) && gr.scale[i] >= max_finite(c.type)) s[i] = std::max(s[i], gr.scale[i]);
    }
    vec reduced_s;
    const auto fan_in = reduce_to(gr.input->shape, e.shape, s, reduced_s);
    for (auto& v : reduced_s) v = finite_or_zero(v);
    t.grads[name] = {std::move(reduced_s), gr.k + k_red_grad + extra_k + static_cast<double>(fan_in - 1), {}};
  }
  return t;
}

}  // namespace losscheck::check::detail
