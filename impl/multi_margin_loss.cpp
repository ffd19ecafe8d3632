// multi_margin_loss (torch: LossMultiMargin.cpp multi_margin_loss_cpu_kernel / multi_margin_loss_backward_cpu_kernel).
#include "losscheck/impl/multi_margin_loss.h"

#include <fmt/format.h>

#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "isa.h"
#include "parallel.h"
#include "vector_math.h"
#include "losscheck/error.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {

// Per row with target y and w = w[y] (1 without weights):
//   z_j = margin - x[y] + x[j]                          (one compensated sum: the sign test sees the exact z almost always)
//   L   = Σ_{j≠y, z_j > 0} w z_j^p / C                  (a NaN z_j is not > 0: it adds nothing, as in torch)
//   dL/dx[j] = d · (z_j > 0 ? w (p == 1 ? 1 : 2 z_j) / C : 0),   dL/dx[y] = -d · Σ_j (those slopes)
// with d the gradient reaching the row (grad_output, / N for mean), multiplied in last so that a NaN or infinite
// grad_output reaches the zeros of the row too (torch: 0 · NaN = NaN).
//
// z_j is sum3(margin, -x[y], x[j]) (accumulate.h): Neumaier's steps from 0, whose compensations are the exact rounding
// errors of margin - x[y] (e1, once per row) and of (margin - x[y]) + x[j] (e2), so z_j = t + (e1 + e2) with
// t = s1 + x[j] where t is finite, t elsewhere. The lanes compute the same with TwoSum (the same exact errors), four
// classes at a time (vector_math.h: the AVX2 and generic builds give the same bits); the row's sums are kept per lane
// (lane_accumulator: double for float results, compensated for double results), the classes past the last multiple
// of four one by one with the same formulas. Rows are cut into two chunks for large inputs (parallel.h), their loss
// sums added in order: the results do not depend on the thread count.
namespace {

/// What one row needs, resolved once per call.
template <class T>
struct row_context {
  const multi_margin_loss_args<T>& args;
  const upstream_gradient<T>& upstream;
  double margin, inv_c;
};

/// z_j, the slope w (p == 1 ? 1 : 2 z) / C and the loss term w z^p for one class (the tail and the lanes' formulas).
struct margin_term {
  double loss = 0.0, slope = 0.0;
};
LOSSCHECK_INLINE margin_term margin_term_of(double s1, double e1, double x, double w, int p, double inv_c) {
  const auto t = two_sum(s1, x);
  const double z = std::isfinite(t.hi) ? t.hi + (e1 + t.lo) : t.hi;
  if (!(z > 0)) return {};
  return {w * (p == 1 ? z : z * z), w * (p == 1 ? 1.0 : 2.0 * z) * inv_c};
}

/// Rows [begin, end): each row's loss (to `output` for none, else added to `total`) and gradient.
template <class T>
struct rows_kernel {
  template <class Build>
  LOSSCHECK_INLINE void operator()(Build, const row_context<T>* ctx, std::int64_t begin, std::int64_t end, T* output,
                                   T* grad_input, sum_accumulator<T>* total) const {
    using namespace simd;
    const auto& args = ctx->args;
    const std::int64_t C = args.classes;
    const std::int64_t full = C / lanes * lanes;
    const int p = args.p;
    const bool none = args.red == reduction::none;
    for (std::int64_t n = begin; n < end; ++n) {
      const T* x = args.input + n * C;
      const std::int64_t y = args.target[n];
      const double w = args.weight ? static_cast<double>(args.weight[y]) : 1.0;
      const auto first = two_sum(ctx->margin, -static_cast<double>(x[y]));  // s1 + e1 = margin - x[y]
      const double s1 = first.hi, e1 = first.lo;
      const double d = grad_input ? ctx->upstream.at(n) : 0.0;
      T* g = grad_input ? grad_input + n * C : nullptr;
      lane_accumulator<T> loss, target_slope;
      const vd vs1 = splat(s1), ve1 = splat(e1), vw = splat(w), vd_ = splat(d), inv_c = splat(ctx->inv_c);
      const vd target_index = splat(static_cast<double>(y));
      for (std::int64_t j = 0; j < full; j += lanes) {
        const vd xj = load(x + j);
        const auto t = two_sum(vs1, xj);
        const vd z = select(t.hi - t.hi == splat(0.0), t.hi + (ve1 + t.lo), t.hi);
        const vd index = splat(static_cast<double>(j)) + vd{0.0, 1.0, 2.0, 3.0};
        const vi counted = (z > splat(0.0)) & (index != target_index);
        const vd term = select(counted, vw * (p == 1 ? z : z * z), splat(0.0));
        const vd slope = select(counted, vw * (p == 1 ? splat(1.0) : splat(2.0) * z) * inv_c, splat(0.0));
        loss.add(term);
        target_slope.add(slope);
        if (g) store(g + j, slope * vd_);
      }
      for (std::int64_t j = full; j < C; ++j) {
        const margin_term m =
            j == y ? margin_term{} : margin_term_of(s1, e1, static_cast<double>(x[j]), w, p, ctx->inv_c);
        loss.add_scalar(m.loss);
        target_slope.add_scalar(m.slope);
        if (g) g[j] = static_cast<T>(m.slope * d);
      }
      const double row_loss = loss.value() * ctx->inv_c;
      if (output) {
        if (none) output[n] = static_cast<T>(row_loss);
        else total->add(row_loss);
      }
      if (g) g[y] = static_cast<T>(-target_slope.value() * d);
    }
  }
};

}  // namespace

template <class T>
void multi_margin_loss_forward_backward(const multi_margin_loss_args<T>& args, const T* grad_output, T* output,
                                        T* grad_input) {
  const std::int64_t C = args.classes;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.rows));
  const row_context<T> ctx{args, upstream, static_cast<double>(args.margin), 1.0 / static_cast<double>(C)};
  chunk_sum<T> totals[2];
  // two chunks of rows when the input is large (parallel.h's threshold on its elements)
  const int chunks = args.rows >= 2 ? chunk_count(args.rows * C) : 1;
  const std::int64_t split = chunks == 2 ? args.rows / 2 : args.rows;
  auto rows = [&](int chunk) {
    simd::dispatch(rows_kernel<T>{}, &ctx, chunk == 0 ? std::int64_t{0} : split, chunk == 0 ? split : args.rows,
                   output, grad_input, &totals[chunk].sum);
  };
  run_chunks(chunks, rows);
  if (output && args.red != reduction::none) {
    if (chunks == 2) totals[0].sum.add(totals[1].sum.value());
    output[0] = static_cast<T>(totals[0].sum.value() / reduction_divisor(args.red, args.rows));
  }
}

template void multi_margin_loss_forward_backward(const multi_margin_loss_args<float>&, const float*, float*, float*);
template void multi_margin_loss_forward_backward(const multi_margin_loss_args<double>&, const double*, double*,
                                                 double*);

namespace detail {

loss_result multi_margin_loss(const multi_margin_loss_problem& p, const context& ctx) {
  const auto& target = p.target->ints;
  for (const auto y : target)
    if (y < 0 || y >= p.classes)
      throw loss_error(fmt::format("multi_margin_loss: target {} is out of range for {} classes", y, p.classes));
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto weight = p.weight ? typed_values<T>(*p.weight) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const multi_margin_loss_args<T> args{input.data(), target.data(), data_or_null(weight), p.rows, p.classes,
                                         static_cast<int>(p.p), static_cast<T>(p.margin), p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    multi_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
