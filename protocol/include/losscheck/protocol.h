#pragma once
/// @file protocol.h
/// The line protocol of docs/format.md for exec adapters over other libraries (dlib, tiny-dnn): read a case per
/// line, validate it with losscheck_core (names, options, shapes: no arithmetic), hand it to the adapter, write one
/// result line and flush. An adapter only maps a case onto its library's calls and copies the library's answers back.

#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>

#include "losscheck/case.h"
#include "losscheck/problem.h"

namespace losscheck::protocol {

/// Thrown by an adapter for a case outside what its library computes; answered `{"id":..,"unsupported":"why"}`.
struct unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Evaluates a validated case with the library. Throws `unsupported`, or `loss_error` for an input the library
/// rejects (answered as `error`).
using evaluator = std::function<loss_result(const loss_case& c, const problem& p)>;

/// Serves the protocol until end of input: blank lines are skipped; a line that is not JSON, or not a valid case,
/// is answered `{"id":..,"error":".."}` (id null when it cannot be read) and the stream goes on; any exception from
/// `eval` becomes an error result. Returns the process exit code (0).
int serve(const evaluator& eval, std::istream& in, std::ostream& out);

/// The single value of a reduced case's grad_output (1 when omitted). The adapters report the library's gradient of
/// its scalar loss times this value: the vector-Jacobian product of a scalar output, the one product an adapter
/// computes itself (in double, exact for float operands, then rounded once to the case's dtype).
double scalar_grad_output(const loss_case& c);

/// `t` copied out to `shape` (which it broadcasts to under torch's rules): index arithmetic only.
std::vector<double> broadcast_values(const tensor& t, const shape_t& shape);

/// Throws `unsupported` with `why` unless the case's reduction is `wanted`.
void require_reduction(reduction got, reduction wanted, const std::string& why);

}  // namespace losscheck::protocol
