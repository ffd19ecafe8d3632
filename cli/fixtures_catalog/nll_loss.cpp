// The fixture cases of nll_loss: the class-index family's, with log-probability inputs (fixtures_catalog.cpp).

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> nll_loss_cases(splitmix64& g) {
  builder b("nll_loss", g);
  class_index_cases(b, g, {.label_smoothing = false, .log_probabilities = true});
  return b.take();
}

}  // namespace losscheck::cli::catalog
