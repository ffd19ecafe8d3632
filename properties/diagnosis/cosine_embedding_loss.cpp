// cosine_embedding_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): margin ignored.

#include "../loss_properties.h"

namespace losscheck::properties {
namespace cosine_embedding_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  auto it = m.c.options.find("margin");
  if (it != m.c.options.end() && std::holds_alternative<double>(it->second) && std::get<double>(it->second) != 0) {
    loss_case d = m.c;
    d.options["margin"] = 0.0;
    m.add_case("ignores `margin`", "bug", d);
  }
}

}  // namespace
}  // namespace cosine_embedding_loss_diagnosis_helpers

loss_diagnosis cosine_embedding_loss_diagnosis() { using namespace ::losscheck::properties::cosine_embedding_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
