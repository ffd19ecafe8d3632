// multilabel_soft_margin_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the conventions of its
// divisors -- each row's classes summed instead of averaged (× C), and the mean taken over all terms instead of over
// classes, then rows (different where a target or weight of more dimensions moves the summed dimension).

#include <fmt/format.h>

#include "../loss_properties.h"
#include "losscheck/problem.h"

namespace losscheck::properties {
namespace multilabel_soft_margin_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  problem pr;
  try {
    pr = resolve_problem(m.c);
  } catch (const std::exception&) {
    return;
  }
  const auto* q = std::get_if<multilabel_soft_margin_loss_problem>(&pr);
  if (!q) return;
  const loss_result r = m.reference.evaluate(m.c);
  if (!r.ok()) return;
  const check::tolerance tol = check::tolerance_for(m.c);
  const double classes = static_cast<double>(q->classes);
  if (classes > 1)
    m.add({fmt::format("sums each row over its {} classes instead of averaging them (no division by C)", q->classes),
           "convention", scale_result(r, classes, m.c.type), scale_tolerance(tol, classes, 1)});
  const double k = static_cast<double>(q->shape[static_cast<std::size_t>(q->class_dim)]);
  if (q->red == reduction::mean && k > 0 && k != classes) {
    const double f = classes / k;
    m.add({fmt::format("takes the mean over all {} terms instead of over classes (C = {}), then rows", checked_numel(q->shape),
                       q->classes),
           "convention", scale_result(r, f, m.c.type), scale_tolerance(tol, f, 1)});
  }
}

}  // namespace
}  // namespace multilabel_soft_margin_loss_diagnosis_helpers

loss_diagnosis multilabel_soft_margin_loss_diagnosis() { using namespace ::losscheck::properties::multilabel_soft_margin_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
