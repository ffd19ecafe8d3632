// l1_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): nothing beyond the generic mistakes
// (reductions, divisors, constant factors, the gradient against its own forward).

#include "../loss_properties.h"

namespace losscheck::properties {

loss_diagnosis l1_loss_diagnosis() { return {}; }

}  // namespace losscheck::properties
