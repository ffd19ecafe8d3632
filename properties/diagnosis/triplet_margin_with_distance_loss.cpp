// triplet_margin_with_distance_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): swap ignored, margin
// subtracted, the distance_function ignored (the default pairwise distance used instead of the one named).

#include "../loss_properties.h"

namespace losscheck::properties {
namespace triplet_margin_with_distance_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  auto it = m.c.options.find("swap");
  if (it != m.c.options.end() && std::holds_alternative<bool>(it->second) && std::get<bool>(it->second)) {
    loss_case d = m.c;
    d.options["swap"] = false;
    m.add_case("ignores `swap` (uses d(a, n) where torch uses min(d(a, n), d(p, n)))", "bug", d);
  }
  auto df = m.c.options.find("distance_function");
  if (df != m.c.options.end() && std::holds_alternative<std::string>(df->second) &&
      std::get<std::string>(df->second) == "cosine") {
    loss_case d = m.c;
    d.options.erase("distance_function");
    m.add_case("ignores `distance_function` (uses pairwise_distance)", "bug", d);
  }
  double margin = 1.0;
  if (auto mg = m.c.options.find("margin"); mg != m.c.options.end()) {
    if (const auto* v = std::get_if<double>(&mg->second)) margin = *v;
    if (const auto* v = std::get_if<std::int64_t>(&mg->second)) margin = static_cast<double>(*v);
  }
  if (margin != 0) {
    loss_case d = m.c;
    d.options["margin"] = -margin;
    m.add_case("subtracts `margin` instead of adding it", "bug", d);
  }
}

}  // namespace
}  // namespace triplet_margin_with_distance_loss_diagnosis_helpers

loss_diagnosis triplet_margin_with_distance_loss_diagnosis() { using namespace ::losscheck::properties::triplet_margin_with_distance_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
