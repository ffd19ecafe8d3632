// The property registry: for every loss of the catalog (its record), the generic properties the record asks for,
// then the loss's own (properties/<loss>.cpp); and the per-loss tables of the property and diagnosis layers,
// indexed by loss_record::index and built from LOSSCHECK_FOR_EACH_LOSS.

#include <algorithm>
#include <array>

#include "loss_properties.h"
#include "losscheck/properties.h"
#include "support.h"

namespace losscheck::properties {

namespace {

template <class Layer, std::size_t N>
const Layer& layer_of(const std::array<Layer, N>& table, const loss_record& record) {
  return table.at(record.index);
}

}  // namespace

const loss_properties& properties_of(const loss_record& record) {
  static const std::array<loss_properties, LOSSCHECK_LOSS_COUNT> table{
#define LOSSCHECK_X(name) name##_properties(),
      LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
  };
  return layer_of(table, record);
}

const loss_diagnosis& diagnosis_of(const loss_record& record) {
  static const std::array<loss_diagnosis, LOSSCHECK_LOSS_COUNT> table{
#define LOSSCHECK_X(name) name##_diagnosis(),
      LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
  };
  return layer_of(table, record);
}

const std::vector<property>& registry() {
  static const std::vector<property> all = [] {
    std::vector<property> v;
    for (const auto& record : loss_catalog()) {
      detail::add_generic(v, record);
      if (const auto add_own = properties_of(record).add) add_own(v);
    }
    return v;
  }();
  return all;
}

std::vector<const property*> properties_using(std::string_view loss) {
  std::vector<const property*> out;
  for (const auto& p : registry())
    if (std::find(p.uses.begin(), p.uses.end(), loss) != p.uses.end()) out.push_back(&p);
  return out;
}

}  // namespace losscheck::properties
