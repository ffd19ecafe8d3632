// multilabel_margin_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): reading a row's target past its
// first -1, a repeated target counted once, the divisor C left out.

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "../loss_properties.h"

namespace losscheck::properties {
namespace multilabel_margin_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  const tensor* x = c.input("input");
  const tensor* y = c.input("target");
  if (!x || !y || y->type != dtype::int64) return;
  const std::int64_t C = x->dim() == 0 ? 1 : x->shape.back();
  if (C <= 0 || static_cast<std::int64_t>(y->ints.size()) % C != 0) return;
  // Reads past the first -1: every class index of the row is a target. The variant moves them (in order) before a -1.
  // Deduplicated: the list without repeats (a set of targets, each counted once).
  loss_case past = c, once = c;
  auto& yp = past.inputs["target"].ints;
  auto& yo = once.inputs["target"].ints;
  bool differs_past = false, differs_once = false;
  for (std::size_t r = 0; r * static_cast<std::size_t>(C) < y->ints.size(); ++r) {
    const auto begin = y->ints.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(C));
    std::vector<std::int64_t> all, listed, unique;
    bool ended = false;
    for (auto it = begin; it != begin + C; ++it) {
      if (*it == -1) ended = true;
      if (*it >= 0) all.push_back(*it);
      if (*it >= 0 && !ended) listed.push_back(*it);
    }
    for (auto v : listed)
      if (std::find(unique.begin(), unique.end(), v) == unique.end()) unique.push_back(v);
    differs_past |= all.size() != listed.size();
    differs_once |= unique.size() != listed.size();
    all.resize(static_cast<std::size_t>(C), -1);
    unique.resize(static_cast<std::size_t>(C), -1);
    std::copy(all.begin(), all.end(), yp.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(C)));
    std::copy(unique.begin(), unique.end(), yo.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(C)));
  }
  if (differs_past) m.add_case("reads the target past a row's first -1 (every class index listed counts)", "bug", past);
  if (differs_once) m.add_case("counts a repeated target once (torch counts each listed entry)", "convention", once);
  if (C > 1) {
    try {
      loss_result v = m.reference.evaluate(c);
      if (v.ok())
        m.add({fmt::format("does not divide by C = {} (the number of classes)", C), "convention",
               scale_result(v, static_cast<long double>(C), c.type),
               scale_tolerance(check::tolerance_for(c), static_cast<double>(C), 2)});
    } catch (const std::exception&) {
      // the reference or the tolerance model rejects the case: the mistake cannot be evaluated here
    }
  }
}

}  // namespace
}  // namespace multilabel_margin_loss_diagnosis_helpers

loss_diagnosis multilabel_margin_loss_diagnosis() { using namespace ::losscheck::properties::multilabel_margin_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
