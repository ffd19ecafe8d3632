// kl_div's part of the diagnosis (loss_properties.h, loss_diagnosis): log_target ignored (or assumed).

#include "../loss_properties.h"

namespace losscheck::properties {
namespace kl_div_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  loss_case d = m.c;
  auto it = m.c.options.find("log_target");
  const bool log_target =
      it != m.c.options.end() && std::holds_alternative<bool>(it->second) && std::get<bool>(it->second);
  d.options["log_target"] = !log_target;
  m.add_case(log_target ? "treats the target as probabilities although `log_target=True`"
                        : "treats the target as log-probabilities although `log_target=False`",
             "bug", d);
}

}  // namespace
}  // namespace kl_div_diagnosis_helpers

loss_diagnosis kl_div_diagnosis() { using namespace ::losscheck::properties::kl_div_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
