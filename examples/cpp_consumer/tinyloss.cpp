#include "tinyloss.h"

namespace tinyloss {

// loss_i = (x_i − y_i)²; mean = Σ loss_i / n; d/dx_i = 2 (x_i − y_i) · g / n (mean), · g (sum), · g_i (none);
// d/dy_i = −d/dx_i.
mse_result mse_loss(const std::vector<double>& x, const std::vector<double>& y, reduction r,
                    const std::vector<double>& grad_output, std::size_t rows, bool planted_bug) {
  const std::size_t n = x.size();
  mse_result out;
  out.grad_input.resize(n);
  out.grad_target.resize(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = x[i] - y[i];
    if (r == reduction::none) out.loss.push_back(d * d);
    sum += d * d;
  }
  const double divisor = planted_bug ? static_cast<double>(rows) : static_cast<double>(n);
  if (r == reduction::mean) out.loss = {sum / divisor};
  if (r == reduction::sum) out.loss = {sum};
  for (std::size_t i = 0; i < n; ++i) {
    const double g = r == reduction::none ? grad_output[i] : grad_output[0];
    const double scale = r == reduction::mean ? 2 / divisor : 2.0;
    out.grad_input[i] = scale * (x[i] - y[i]) * g;
    out.grad_target[i] = -out.grad_input[i];
  }
  return out;
}

}  // namespace tinyloss
