// cosine_embedding_loss (torch: Loss.cpp cosine_embedding_loss, a composite whose gradients are autograd's).
#include "losscheck/impl/cosine_embedding_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "double_double.h"
#include "losses.h"
#include "parallel.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// torch adds EPSILON = 1e-12 to both squared norms (Loss.cpp), so a zero vector gives cos = 0 instead of 0/0. The
/// constant is a float there: float32 and float64 cases both add 1e-12f = 9.999999960041972e-13 (checked against
/// LibTorch 1.13.1).
constexpr double norm_epsilon = static_cast<double>(1e-12f);

/// One pair of rows: a = input1's row (columns_a values), b = input2's row (columns_b values); the products run over
/// `dim` = the larger of the two, a column count of 1 being broadcast.
template <class T>
struct pair_row {
  const T* a;
  std::int64_t columns_a;
  const T* b;
  std::int64_t columns_b;
  std::int64_t dim;
  double a_at(std::int64_t d) const { return static_cast<double>(a[columns_a == 1 ? 0 : d]); }
  double b_at(std::int64_t d) const { return static_cast<double>(b[columns_b == 1 ? 0 : d]); }
};

/// The power of two k such that a row's elements scaled by 2^-k neither overflow nor underflow when squared and
/// summed: 0 when max|v| is in [2^-300, 2^300] (always the case for float32 data), zero or not finite; otherwise
/// ilogb(max|v|) clamped to [-400, 1000] (below 2^-400 a row is far below torch's eps: its own digits cannot matter).
template <class T>
int rescale_exponent(const T* v, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return 0;
  } else {
    double largest = 0.0;
    for (std::int64_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(v[i]));  // NaN is skipped
    if (largest == 0.0 || !std::isfinite(largest) || (largest >= 0x1p-300 && largest <= 0x1p300)) return 0;
    return std::clamp(std::ilogb(largest), -400, 1000);
  }
}

/// term accumulated into a double-double sum: a product of float32 values is exact in double; a product of float64
/// values is made exact by TwoProduct.
template <class T>
double_double add_product(double_double sum, double x, double y) {
  if constexpr (std::is_same_v<T, float>)
    return sum + x * y;
  else
    return sum + two_product(x, y);
}

/// A positive double-double held as mantissa * 4^exponent with mantissa in [1, 4), so that a square root halves the
/// exponent exactly.
struct quarter_scaled {
  double_double mantissa;
  int exponent;
};
quarter_scaled quarter_normalize(double_double value, int exponent) {
  const int half = std::ilogb(value.hi) >> 1;  // floor(log2(value) / 2)
  return {scale_by_power_of_two(value, -2 * half), exponent + half};
}

/// Everything the loss and the gradient need about one pair of rows, in one of three evaluations:
/// - fast (most rows): plain double sums (compensated for float64; products of float32 values are exact), with
///   A = sum a^2 + eps, B likewise, root = sqrt(A B), cos = S / root. Taken when the rows are at least 60 degrees
///   from parallel (S^2 <= (sum a^2)(sum b^2) / 4, eps aside), where neither 1 - cos nor the gradient's
///   b_e / root - cos a_e / A loses more than a bit to cancellation, and nothing overflows.
/// - double-double (nearly parallel rows, or float64 rows whose squares overflow or underflow): with a = 2^k_a a',
///   b = 2^k_b b' (rescaled rows), A = 4^e_A A_m and B = 4^e_B B_m (A_m, B_m in [1, 4)), S = 2^(e_A + e_B) S_m:
///     cos = S_m / root,   root = sqrt(A_m B_m),   1 - cos = (A_m B_m - S_m^2) / (root (root + S_m)) for S_m > 0
///   and eps kept apart from the sums of squares (A_m = a_sq + a_eps): where A_m B_m - S_m^2 or b A - a S cancel,
///   what remains is eps's share, which may lie below even double-double's last digit of sum a^2.
/// - plain (rows holding inf or NaN): torch's expression as written, for its NaN/inf pattern.
enum class evaluation : std::uint8_t { fast, double_double, plain };
struct row_geometry {
  evaluation how = evaluation::fast;
  double cos = 0.0;
  double one_minus_cos = 0.0;
  double root = 0.0;
  double a_norm = 0.0, b_norm = 0.0;  // fast: A and B
  int k_a = 0, k_b = 0, e_a = 0, e_b = 0;
  double_double a_sq, b_sq, s_m;    // double-double: sum a'^2, sum b'^2 and S, in the units of A_m, B_m and S_m
  double a_eps = 0.0, b_eps = 0.0;  // double-double: eps in the units of A_m and B_m
};

/// sum a^2, sum b^2 and sum a b of a row pair, accumulated in double (compensated for float64).
template <class T>
struct plain_sums {
  double aa, bb, ab;
};
template <class T>
plain_sums<T> plain_sums_of(const pair_row<T>& row) {
  sum_accumulator<T> aa, bb, ab;
  if (row.columns_a == row.dim && row.columns_b == row.dim) {
    for (std::int64_t d = 0; d < row.dim; ++d) {
      const double a = static_cast<double>(row.a[d]);
      const double b = static_cast<double>(row.b[d]);
      aa.add(a * a);
      bb.add(b * b);
      ab.add(a * b);
    }
  } else {
    for (std::int64_t e = 0; e < row.columns_a; ++e) aa.add(row.a_at(e) * row.a_at(e));
    for (std::int64_t e = 0; e < row.columns_b; ++e) bb.add(row.b_at(e) * row.b_at(e));
    for (std::int64_t d = 0; d < row.dim; ++d) ab.add(row.a_at(d) * row.b_at(d));
  }
  return {aa.value(), bb.value(), ab.value()};
}

template <class T>
bool row_is_finite(const pair_row<T>& row) {
  for (std::int64_t e = 0; e < row.columns_a; ++e)
    if (!std::isfinite(row.a[e])) return false;
  for (std::int64_t e = 0; e < row.columns_b; ++e)
    if (!std::isfinite(row.b[e])) return false;
  return true;
}

template <class T>
row_geometry double_double_geometry(const pair_row<T>& row);

template <class T>
row_geometry geometry_of(const pair_row<T>& row) {
  const auto sums = plain_sums_of(row);
  row_geometry g;
  g.a_norm = sums.aa + norm_epsilon;
  g.b_norm = sums.bb + norm_epsilon;
  g.root = std::sqrt(g.a_norm * g.b_norm);
  g.cos = sums.ab / g.root;
  if (!std::isfinite(g.a_norm) || !std::isfinite(g.b_norm) || !std::isfinite(sums.ab)) {
    if (row_is_finite(row)) return double_double_geometry(row);  // float64 squares that overflow: rescale
    // inf or NaN in the rows: torch's expression, in plain double.
    g.how = evaluation::plain;
    g.one_minus_cos = 1.0 - g.cos;
    return g;
  }
  bool in_range = true;  // A B does not overflow, 1 / A and 1 / root stay normal, S is far above the subnormals
  if constexpr (std::is_same_v<T, double>)
    in_range = g.a_norm < 0x1p450 && g.b_norm < 0x1p450 && std::fabs(sums.ab) >= 0x1p-969;
  // Nearly parallel rows (the angle without eps, S^2 > (sum a^2)(sum b^2) / 4) cancel in b_e / root - cos a_e / A
  // even when eps makes cos small (a 1-column row is always parallel): double-double then.
  if (!in_range || !(sums.ab * sums.ab <= 0.25 * sums.aa * sums.bb)) return double_double_geometry(row);
  g.one_minus_cos = 1.0 - g.cos;
  return g;
}

template <class T>
row_geometry double_double_geometry(const pair_row<T>& row) {
  row_geometry g;
  g.how = evaluation::double_double;
  g.k_a = rescale_exponent(row.a, row.columns_a);
  g.k_b = rescale_exponent(row.b, row.columns_b);
  const double scale_a = std::ldexp(1.0, -g.k_a);
  const double scale_b = std::ldexp(1.0, -g.k_b);
  double_double aa, bb, ab;
  for (std::int64_t e = 0; e < row.columns_a; ++e) {
    const double v = static_cast<double>(row.a[e]) * scale_a;
    aa = add_product<T>(aa, v, v);
  }
  for (std::int64_t e = 0; e < row.columns_b; ++e) {
    const double v = static_cast<double>(row.b[e]) * scale_b;
    bb = add_product<T>(bb, v, v);
  }
  for (std::int64_t d = 0; d < row.dim; ++d) ab = add_product<T>(ab, row.a_at(d) * scale_a, row.b_at(d) * scale_b);
  // A = 4^k_a (sum a'^2 + eps 4^-k_a); eps 4^-k_a underflows harmlessly for huge rows.
  const double eps_a = std::ldexp(norm_epsilon, -2 * g.k_a);
  const double eps_b = std::ldexp(norm_epsilon, -2 * g.k_b);
  const auto a = quarter_normalize(aa + eps_a, g.k_a);
  const auto b = quarter_normalize(bb + eps_b, g.k_b);
  const int shift_a = -2 * (a.exponent - g.k_a), shift_b = -2 * (b.exponent - g.k_b);
  g.a_sq = scale_by_power_of_two(aa, shift_a);
  g.b_sq = scale_by_power_of_two(bb, shift_b);
  g.a_eps = std::ldexp(eps_a, shift_a);
  g.b_eps = std::ldexp(eps_b, shift_b);
  g.e_a = a.exponent;
  g.e_b = b.exponent;
  g.s_m = scale_by_power_of_two(ab, g.k_a + g.k_b - g.e_a - g.e_b);
  g.root = std::sqrt((a.mantissa * b.mantissa).value());
  const double s = g.s_m.value();
  g.cos = s / g.root;
  if (s > 0) {
    // A_m B_m - S_m^2 = (a_sq b_sq - S_m^2) + a_eps b_sq + b_eps a_sq + a_eps b_eps
    const double_double cross = g.a_sq * g.b_sq - g.s_m * g.s_m;
    const double eps_terms = g.a_eps * g.b_sq.value() + g.b_eps * g.a_sq.value() + g.a_eps * g.b_eps;
    g.one_minus_cos = (cross + eps_terms).value() / (g.root * (g.root + s));
  } else {
    g.one_minus_cos = 1.0 - g.cos;
  }
  return g;
}

// dcos/dself_e = (other_e A_self - self_e S) / (A_self sqrt(A B)) over one row of one input, times `dcos` (the loss's
// dL/dcos), where other_e is the other input's element facing e, or the sum of the other row when this row is
// broadcast along the dimension. In the rescaled terms of row_geometry:
//   numerator / (2^k_other 4^e_self) = other'_e A_m,self - self'_e S_m 2^((k_self - e_self) - (k_other - e_other))
//   dcos/dself_e = that / (A_m,self root) * 2^(k_other - e_self - e_other)
// evaluated in double-double, so the cancellation of nearly parallel rows costs no digits.
template <class T, class G>
void write_row_gradient(G* grad, const T* self, std::int64_t self_columns, const T* other, std::int64_t other_columns,
                        std::int64_t dim, double dcos, const row_geometry& g, bool self_is_a) {
  const int k_self = self_is_a ? g.k_a : g.k_b, k_other = self_is_a ? g.k_b : g.k_a;
  const int e_self = self_is_a ? g.e_a : g.e_b, e_other = self_is_a ? g.e_b : g.e_a;
  const double scale_self = std::ldexp(1.0, -k_self), scale_other = std::ldexp(1.0, -k_other);
  const bool broadcast_self = self_columns == 1 && dim != 1;
  auto other_at = [&](std::int64_t d) { return static_cast<double>(other[other_columns == 1 ? 0 : d]); };
  if (g.how == evaluation::plain || !std::isfinite(dcos)) {
    // inf or NaN in the rows or in the incoming gradient: autograd's evaluation of torch's composite, for its NaN/inf
    // pattern. With P = sum x1 x2, M_j = sum x_j^2 + eps, D = sqrt(M1 M2), cos = P / D:
    //   dself_e = (dcos / D) other_e + 2 self_e M_other ((-dcos P / D^2) / (2 D))
    double m_self = 0, m_other = 0, product = 0;
    for (std::int64_t e = 0; e < self_columns; ++e)
      m_self += static_cast<double>(self[e]) * static_cast<double>(self[e]);
    for (std::int64_t e = 0; e < other_columns; ++e) m_other += other_at(e) * other_at(e);
    for (std::int64_t d = 0; d < dim; ++d)
      product += static_cast<double>(self[self_columns == 1 ? 0 : d]) * other_at(d);
    m_self += norm_epsilon;
    m_other += norm_epsilon;
    const double root = std::sqrt(m_self * m_other);
    const double grad_product = dcos / root;
    const double grad_norm = -dcos * product / (root * root) / (2.0 * root) * m_other;
    double broadcast_other = 0.0;
    if (broadcast_self)
      for (std::int64_t d = 0; d < dim; ++d) broadcast_other += other_at(d);
    for (std::int64_t e = 0; e < self_columns; ++e) {
      const double other_e = broadcast_self ? broadcast_other : other_at(e);
      grad[e] = static_cast<G>(grad_product * other_e + 2.0 * static_cast<double>(self[e]) * grad_norm);
    }
    return;
  }
  if (g.how == evaluation::fast) {
    // dcos/dself_e = other_e / root - cos self_e / A_self
    sum_accumulator<T> broadcast_other;
    if (broadcast_self)
      for (std::int64_t d = 0; d < dim; ++d) broadcast_other.add(other_at(d));
    const double other_factor = 1.0 / g.root;
    const double self_factor = g.cos / (self_is_a ? g.a_norm : g.b_norm);
    for (std::int64_t e = 0; e < self_columns; ++e) {
      const double other_e = broadcast_self ? broadcast_other.value() : other_at(e);
      grad[e] = static_cast<G>(dcos * (other_e * other_factor - static_cast<double>(self[e]) * self_factor));
    }
    return;
  }
  double_double broadcast_other;
  if (broadcast_self)
    for (std::int64_t d = 0; d < dim; ++d) broadcast_other = broadcast_other + other_at(d) * scale_other;
  const double_double& self_sq = self_is_a ? g.a_sq : g.b_sq;
  const double self_eps = self_is_a ? g.a_eps : g.b_eps;
  const int cross_shift = (k_self - e_self) - (k_other - e_other);
  const double denominator = (self_sq + self_eps).value() * g.root;
  const int result_shift = k_other - e_self - e_other;
  for (std::int64_t e = 0; e < self_columns; ++e) {
    const double_double other_e = broadcast_self ? broadcast_other : double_double{other_at(e) * scale_other, 0.0};
    const double self_e = static_cast<double>(self[e]) * scale_self;
    // other_e A_m - self_e S_m 2^shift = (other_e a_sq - self_e S_m 2^shift) + other_e eps: the bracket cancels for
    // parallel rows, eps's share is added after.
    const double_double numerator =
        (other_e * self_sq - scale_by_power_of_two(g.s_m * self_e, cross_shift)) + other_e * self_eps;
    grad[e] = static_cast<G>(std::ldexp(numerator.value() / denominator, result_shift) * dcos);
  }
}

}  // namespace

// cos = sum x1 x2 / sqrt((sum x1^2 + eps)(sum x2^2 + eps));  L = 1 - cos (y = 1), max(0, cos - margin) (y = -1), 0
template <class T>
void cosine_embedding_loss_forward(const cosine_embedding_loss_args<T>& args, T* output) {
  cosine_embedding_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// cos     = S12 / sqrt(A B),  A = sum x1^2 + eps,  B = sum x2^2 + eps
// L       = 1 - cos (y = 1);  max(0, cos - margin) (y = -1);  0 (other y, still counted by mean)
// dL/dcos = -1 (y = 1);  [cos - margin >= 0] (y = -1);  0
// dcos/dx1_e = sum_{d -> e} x2_d / sqrt(A B) - cos x1_e / A  (d -> e: the pair columns that read x1_e)
// dcos/dx2_e = sum_{d -> e} x1_d / sqrt(A B) - cos x2_e / B
template <class T, class G>
void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<T>& args, const T* grad_output, T* output,
                                            G* grad_input1, G* grad_input2) {
  const std::int64_t count = args.count();
  const std::int64_t dim = args.columns1 == 1 ? args.columns2 : args.columns1;
  const double margin = static_cast<double>(static_cast<T>(args.margin));  // torch: cos - margin in the input dtype
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, count));
  const bool backward = grad_input1 || grad_input2;
  // Large inputs without a broadcast cos are cut into two chunks of rows (parallel.h), whose sums are added in order.
  const bool parallel = args.rows == count && args.rows >= 2 && args.rows * dim >= parallel_threshold;
  const std::int64_t split = parallel ? args.rows / 2 : args.rows;
  sum_accumulator<T> totals[2];
  auto rows = [&](int chunk) {
    sum_accumulator<T>& total = totals[chunk];
    for (std::int64_t r = chunk == 0 ? 0 : split; r < (chunk == 0 ? split : args.rows); ++r) {
      const pair_row<T> row{args.input1 + r * args.columns1, args.columns1, args.input2 + r * args.columns2,
                            args.columns2, dim};
      const row_geometry f = geometry_of(row);
      // The loss elements fed by this row: just row r, or all of them when one cos is broadcast over the targets.
      const std::int64_t first = args.rows == count ? r : 0;
      const std::int64_t last = args.rows == count ? r + 1 : count;
      // cos - margin, from the accurate 1 - cos when cos > 1/2 (1 - margin is then exact wherever digits could cancel):
      // a cos that rounds to margin = 1 must not pass the clamp unless it reaches it.
      const double above_margin = f.cos > 0.5 ? (1.0 - margin) - f.one_minus_cos : f.cos - margin;
      sum_accumulator<T> c;  // dL/dcos
      for (std::int64_t j = first; j < last; ++j) {
        const double y = static_cast<double>(args.target[args.target_count == 1 ? 0 : j]);
        if (output) {
          // torch: where(y == 1, 1 - cos, 0) + where(y == -1, clamp_min(cos - margin, 0), 0)
          const double loss = y == 1 ? f.one_minus_cos : y == -1 ? std::max(above_margin, 0.0) : 0.0;
          if (none)
            output[j] = static_cast<T>(loss);
          else
            total.add(loss);
        }
        if (backward) {
          // where() passes no gradient (not even a NaN grad_output) to the unselected branch.
          if (y == 1)
            c.add(-upstream.at(j));
          else if (y == -1 && above_margin >= 0)
            c.add(upstream.at(j));
        }
      }
      if (!backward) continue;
      const double dcos = c.value();
      if (grad_input1)
        write_row_gradient(grad_input1 + r * args.columns1, row.a, args.columns1, row.b, args.columns2, dim, dcos, f,
                           true);
      if (grad_input2)
        write_row_gradient(grad_input2 + r * args.columns2, row.b, args.columns2, row.a, args.columns1, dim, dcos, f,
                           false);
    }
  };
  auto& total = totals[0];
  if (parallel) {
    run_two_chunks([](void* f, int chunk) { (*static_cast<decltype(rows)*>(f))(chunk); }, &rows);
    total.add(totals[1].value());
  } else {
    rows(0);
  }
  if (output && !none)
    output[0] = static_cast<T>(args.red == reduction::sum ? total.value() : total.value() / static_cast<double>(count));
}

template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<float>&, float*);
template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<double>&, double*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*, float*,
                                                     float*, float*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*, float*,
                                                     double*, double*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<double>&, const double*, double*,
                                                     double*, double*);

namespace detail {

loss_result cosine_embedding_loss(const cosine_embedding_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    // 2-D inputs (R1, D1), (R2, D2) broadcast to the pair shape (R, D): rows are expanded here (each row's squared
    // norm is the same whichever pair it is in), columns are broadcast inside the kernel (they change the norms).
    const bool batched = p.pair_shape.size() == 2;
    const std::int64_t rows = batched ? p.pair_shape[0] : 1;
    auto expand_rows = [&](const tensor& t) {
      shape_t full = t.shape;
      if (batched) full[0] = rows;
      return std::pair{broadcast_values<T>(t, full), full};
    };
    const auto [input1, shape1] = expand_rows(*p.input1);
    const auto [input2, shape2] = expand_rows(*p.input2);
    const auto target = p.target->is_floating() ? typed_values<T>(*p.target) : typed_ints<T>(*p.target);
    const auto grad_output = grad_output_values<T>(ctx);
    const cosine_embedding_loss_args<T> args{input1.data(),
                                             shape1.back(),
                                             input2.data(),
                                             shape2.back(),
                                             rows,
                                             target.data(),
                                             static_cast<std::int64_t>(target.size()),
                                             p.margin,
                                             p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad1(input1.size()), grad2(input2.size());
    cosine_embedding_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad1.data(), grad2.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input1"] = sum_to_shape<T>(ctx.type, grad1, shape1, p.input1->shape);
    r.grads["input2"] = sum_to_shape<T>(ctx.type, grad2, shape2, p.input2->shape);
    // autograd forms the gradient of x from 2 x * d(|x|^2) and the other input's products: a NaN element of an
    // input has a NaN gradient even when nothing reaches it (an empty batch broadcast against it: NaN * 0).
    for (const auto& [name, input] : {std::pair{"input1", p.input1}, std::pair{"input2", p.input2}}) {
      auto& grad = r.grads[name].values;
      for (std::size_t i = 0; i < grad.size(); ++i)
        if (std::isnan(input->values[i])) grad[i] = std::numeric_limits<double>::quiet_NaN();
    }
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
