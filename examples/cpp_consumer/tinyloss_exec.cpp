// tinyloss as an exec target: `losscheck audit --target exec:./tinyloss_exec` (losscheck_add_audit in
// CMakeLists.txt). losscheck::protocol reads and validates each case and writes each answer; `--planted-bug` answers
// with the mean that divides by the batch size.
#include <cstring>
#include <iostream>

#include "losscheck/protocol.h"
#include "tinyloss_losscheck.h"

int main(int argc, char** argv) {
  const bool planted_bug = argc > 1 && std::strcmp(argv[1], "--planted-bug") == 0;
  return losscheck::protocol::serve(
      [&](const losscheck::loss_case& c, const losscheck::problem& p) { return tinyloss::answer(c, p, planted_bug); },
      std::cin, std::cout);
}
