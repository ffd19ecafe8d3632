// nll_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): nothing beyond the generic mistakes (the
// class-index divisors, ignored targets counted, an ignored weight).

#include "../loss_properties.h"

namespace losscheck::properties {

loss_diagnosis nll_loss_diagnosis() { return {}; }

}  // namespace losscheck::properties
