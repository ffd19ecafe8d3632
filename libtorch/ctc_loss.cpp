// ctc_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: torch.ctc_loss(log_probs, targets, input_lengths,
// target_lengths, blank, _Reduction.get_enum(reduction), zero_infinity), ATen's at::ctc_loss (Tensor lengths).
// In front of it, losscheck's guard for the values torch 1.13's CPU kernel does not check (docs/torch-quirks.md):
// an input length below 1 or a negative target length reads outside its buffers, a label outside [0, C) reads
// outside log_probs, and a label equal to the blank is refused by losscheck (the CTC model has no such label).

#include <ATen/ops/ctc_loss.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

namespace {
/// The guard: the values ctc_loss_cpu leaves unchecked, read from the case itself (its shapes are left to ATen).
void ctc_loss_guard_values(const loss_case& c) {
  const tensor* lp = c.input("log_probs");
  const tensor* y = c.input("targets");
  const tensor* il = c.input("input_lengths");
  const tensor* tl = c.input("target_lengths");
  if (!lp || !y || !il || !tl || il->type != dtype::int64 || tl->type != dtype::int64) return;
  for (auto v : il->ints)
    if (v < 1) throw loss_error(fmt::format("ctc_loss: input_lengths must be at least 1, got {}", v));
  for (auto v : tl->ints)
    if (v < 0) throw loss_error(fmt::format("ctc_loss: target_lengths must be nonnegative, got {}", v));
  if ((lp->dim() != 2 && lp->dim() != 3) || y->type != dtype::int64) return;
  const std::int64_t n = lp->dim() == 3 ? lp->shape[1] : 1, classes = lp->shape.back();
  const std::int64_t blank = int_option(c, "blank", 0);
  if (tl->numel() != n || blank < 0 || blank >= classes) return;
  std::int64_t offset = 0;
  for (std::int64_t b = 0; b < n; ++b) {
    const std::int64_t len = tl->ints[static_cast<std::size_t>(b)];
    std::int64_t start = offset;
    if (y->dim() == 2) {
      if (y->shape[0] != n || len > y->shape[1]) return;
      start = b * y->shape[1];
    } else if (y->dim() == 1) {
      offset += len;
      if (offset > y->numel()) return;
    } else {
      return;
    }
    for (std::int64_t j = 0; j < len; ++j) {
      const auto k = y->ints[static_cast<std::size_t>(start + j)];
      if (k < 0 || k >= classes || k == blank)
        throw loss_error(fmt::format("ctc_loss: target labels must be in [0, {}) and not the blank {}, got {}",
                                     classes, blank, k));
    }
  }
}
}  // namespace

at::Tensor ctc_loss(const loss_case& c, const tensors& in) {
  const std::int64_t red = reduction_enum(reduction_string(c));
  ctc_loss_guard_values(c);
  return at::ctc_loss(in.at("log_probs"), in.at("targets"), in.at("input_lengths"), in.at("target_lengths"),
                      int_option(c, "blank", 0), red, bool_option(c, "zero_infinity", false));
}

}  // namespace losscheck::libtorch::detail
