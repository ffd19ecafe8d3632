#pragma once
// The subcommands of the losscheck command line.

#include <chrono>
#include <istream>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "losscheck/target.h"

namespace losscheck::cli {

/// The least precision of the reference, in bits (--precision): every float64 input must convert to it exactly.
inline constexpr unsigned min_precision_bits = std::numeric_limits<double>::digits;  // 53

/// A target by name: "impl", "reference", "libtorch" (where built) or "exec:COMMAND" (an external program speaking
/// the line protocol, see exec_target.h; `exec_timeout` per case). Throws std::invalid_argument for an unknown name.
std::unique_ptr<target> make_target(const std::string& name, unsigned precision_bits,
                                    std::chrono::milliseconds exec_timeout = std::chrono::seconds(10));

/// Why target `t` cannot run at all (an exec command the shell cannot find or execute), or "" (every other target).
std::string start_failure(target& t);

/// The line protocol: one case per line in, one result per line out, flushed. Returns the exit code: 0, or 2 when a
/// line is not JSON at all (reported on `err` with its line number).
int run_protocol(target& t, std::istream& in, std::ostream& out, std::ostream& err);

/// Prints every loss (or those in `only`) with its inputs, options and defaults; 2 for an unknown loss.
int list_losses(const std::vector<std::string>& only, std::ostream& out, std::ostream& err);
/// `losscheck list --properties`: each loss's properties (the audit's checks) with what each shows; `only` selects
/// losses (empty: all). Returns the exit code (2 for an unknown loss, with a "did you mean").
int list_properties(const std::vector<std::string>& only, std::ostream& out, std::ostream& err);

/// Evaluates a built-in set of cases over all seven losses with impl and reference and prints a comparison table.
/// Returns 0 when every case agrees.
int showcase(std::ostream& out, unsigned precision_bits);

}  // namespace losscheck::cli

namespace losscheck::cli {

/// `losscheck fixtures generate` (only built with LibTorch): evaluates the fixture catalog of `losses` (all when
/// empty) with LibTorch and writes DIR/<loss>.json. Returns 0, or 2 for an unknown loss.
int generate_fixtures(const std::string& out_dir, const std::vector<std::string>& losses, std::ostream& out,
                      std::ostream& err);

}  // namespace losscheck::cli
