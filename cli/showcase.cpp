#include "commands.h"

namespace losscheck::cli {
int showcase(std::ostream& out, unsigned) {
  out << "showcase: not written yet\n";
  return 0;
}
}  // namespace losscheck::cli
