// cosine_embedding_loss in multiprecision, from the definition (torch.nn.functional.cosine_embedding_loss,
// LibTorch 1.13.1, aten/src/ATen/native/Loss.cpp: a composite differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// Added to each squared norm: Loss.cpp's `constexpr float EPSILON = 1e-12`, a float, so 1e-12 rounded to float32
/// (9.999999960041972e-13) in both dtypes.
constexpr double norm_epsilon = static_cast<double>(1e-12f);

/// Rows and row length of a (R, D) or (D) tensor shape.
struct matrix_shape {
  std::int64_t rows, cols;
};
matrix_shape as_matrix(const shape_t& s) {
  return s.size() == 2 ? matrix_shape{s[0], s[1]} : matrix_shape{1, s.empty() ? 1 : s[0]};
}

/// The row of a tensor with `rows` rows that pair row r reads (a single row broadcasts).
std::size_t row_of(std::int64_t rows, std::int64_t r) { return static_cast<std::size_t>(rows == 1 ? 0 : r); }

}  // namespace

// Per row r of the broadcast pair (x1, x2), with M1 and M2 summed over each input's own rows:
// P = Σ_k x1_k x2_k,  M1 = Σ x1_k^2 + EPSILON,  M2 = Σ x2_k^2 + EPSILON,  D = sqrt(M1 M2),  cos = P / D
// L = 1 - cos for y = 1; max(cos - margin, 0) for y = -1; 0 for any other y (still counted by the mean)
// Backward, term by term as autograd forms it (so that NaN and infinities travel as in torch):
// dcos = -ĝ [y = 1] + ĝ [y = -1] [cos - margin >= 0]   (clamp_min passes the gradient at equality; summed over the
//        target's broadcast)
// dP = dcos / D,  dD = -dcos (cos / D),  d(M1 M2) = dD / (2 D),  dM1 = Σ d(M1 M2) M2,  dM2 = Σ d(M1 M2) M1
// dx1_k = Σ dP x2_k + 2 dM1 x1_k,  dx2_k = Σ dP x1_k + 2 dM2 x2_k   (Σ over broadcast rows and columns)
/// cosine_embedding_loss: forward and the gradients with respect to input1 and input2 (the target is a label).
loss_result cosine_embedding_loss(const cosine_embedding_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x1 = to_mp(*p.input1);
    const mp_vector x2 = to_mp(*p.input2);
    const mp_vector x1e = expand_to(*p.input1, p.pair_shape);
    const mp_vector x2e = expand_to(*p.input2, p.pair_shape);
    const auto pair = as_matrix(p.pair_shape);
    const auto in1 = as_matrix(p.input1->shape);
    const auto in2 = as_matrix(p.input2->shape);
    const mp epsilon = norm_epsilon;
    const mp margin = p.margin;

    // Forward: per pair row.
    const auto squared_norms = [&](const mp_vector& v, matrix_shape s) {
      mp_vector m(static_cast<std::size_t>(s.rows));
      for (std::int64_t r = 0; r < s.rows; ++r) {
        mp acc = 0;
        for (std::int64_t k = 0; k < s.cols; ++k)
          acc += v[static_cast<std::size_t>(r * s.cols + k)] * v[static_cast<std::size_t>(r * s.cols + k)];
        m[static_cast<std::size_t>(r)] = acc + epsilon;
      }
      return m;
    };
    const mp_vector m1 = squared_norms(x1, in1);
    const mp_vector m2 = squared_norms(x2, in2);
    mp_vector prod(static_cast<std::size_t>(pair.rows)), denom(static_cast<std::size_t>(pair.rows)),
        cos(static_cast<std::size_t>(pair.rows));
    for (std::int64_t r = 0; r < pair.rows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      mp acc = 0;
      for (std::int64_t k = 0; k < pair.cols; ++k)
        acc += x1e[static_cast<std::size_t>(r * pair.cols + k)] * x2e[static_cast<std::size_t>(r * pair.cols + k)];
      prod[i] = acc;
      denom[i] = sqrt(m1[row_of(in1.rows, r)] * m2[row_of(in2.rows, r)]);
      cos[i] = prod[i] / denom[i];
    }

    // Per output element: the target broadcasts against the rows of cos.
    const auto n = checked_numel(p.none_shape);
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const auto label = [&](std::int64_t offset) {
      const auto o = static_cast<std::size_t>(offset);
      return p.target->type == dtype::int64 ? mp(static_cast<double>(p.target->ints[o])) : mp(p.target->values[o]);
    };
    mp_vector none(static_cast<std::size_t>(n));
    mp_vector dcos(cos.size(), mp(0));
    broadcast_walker cos_at(p.cos_shape, p.none_shape), target_at(p.target->shape, p.none_shape);
    for (std::int64_t j = 0; j < n; ++j, cos_at.next(), target_at.next()) {
      const auto c = static_cast<std::size_t>(cos_at.offset());
      const mp y = label(target_at.offset());
      const mp shifted = cos[c] - margin;
      // torch: where(y == 1, 1 - cos, 0) + where(y == -1, clamp_min(cos - margin, 0), 0)
      none[static_cast<std::size_t>(j)] =
          (y == 1 ? mp(1 - cos[c]) : mp(0)) + (y == -1 ? max_of(shifted, mp(0)) : mp(0));
      if (y == 1) dcos[c] -= g[j];
      if (y == -1 && shifted >= 0) dcos[c] += g[j];
    }

    // Backward through cos = P / sqrt(M1 M2).
    mp_vector dx1e(x1e.size()), dx2e(x2e.size());
    mp_vector dm1(m1.size(), mp(0)), dm2(m2.size(), mp(0));
    for (std::int64_t r = 0; r < pair.rows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      const mp dprod = dcos[i] / denom[i];
      const mp ddenom = -dcos[i] * (cos[i] / denom[i]);
      const mp dmm = ddenom / (2 * denom[i]);
      dm1[row_of(in1.rows, r)] += dmm * m2[row_of(in2.rows, r)];
      dm2[row_of(in2.rows, r)] += dmm * m1[row_of(in1.rows, r)];
      for (std::int64_t k = 0; k < pair.cols; ++k) {
        const auto e = static_cast<std::size_t>(r * pair.cols + k);
        dx1e[e] = dprod * x2e[e];
        dx2e[e] = dprod * x1e[e];
      }
    }
    mp_vector dx1 = sum_to(std::move(dx1e), p.pair_shape, p.input1->shape);
    mp_vector dx2 = sum_to(std::move(dx2e), p.pair_shape, p.input2->shape);
    for (std::size_t e = 0; e < dx1.size(); ++e) dx1[e] += 2 * dm1[e / static_cast<std::size_t>(in1.cols)] * x1[e];
    for (std::size_t e = 0; e < dx2.size(); ++e) dx2[e] += 2 * dm2[e / static_cast<std::size_t>(in2.cols)] * x2[e];

    mp_result r;
    r.output = reduce(std::move(none), p.none_shape, p.red);
    r.grads["input1"] = {p.input1->shape, divided(std::move(dx1), denominator)};
    r.grads["input2"] = {p.input2->shape, divided(std::move(dx2), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
