// margin_ranking_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the sign of the target flipped,
// and margin ignored.

#include "../loss_properties.h"

namespace losscheck::properties {
namespace margin_ranking_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  loss_case d = m.c;
  tensor& y = d.inputs["target"];
  for (auto& v : y.values) v = -v;
  for (auto& v : y.ints) v = -v;
  m.add_case("computes max(0, y (x1 - x2) + margin): the sign of the target flipped (or input1 and input2 swapped)",
             "bug", d);
  auto it = m.c.options.find("margin");
  if (it != m.c.options.end() && std::holds_alternative<double>(it->second) && std::get<double>(it->second) != 0) {
    loss_case e = m.c;
    e.options.erase("margin");
    m.add_case("ignores `margin` (uses 0)", "bug", e);
  }
}

}  // namespace
}  // namespace margin_ranking_loss_diagnosis_helpers

loss_diagnosis margin_ranking_loss_diagnosis() { using namespace ::losscheck::properties::margin_ranking_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
