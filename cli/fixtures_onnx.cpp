// `losscheck fixtures import onnx DIR...`: ONNX backend node tests (model.onnx + test_data_set_*/input_*.pb,
// output_*.pb; Debian's libonnx-testdata) read with ONNX's own protobuf classes (libonnx-dev) and written as a
// forward-only fixture file (docs/format.md "Forward-only fixtures", "Importing ONNX node tests").
//
// Mapped, one case per test data set, id = the test's directory name:
//   SoftmaxCrossEntropyLoss(scores, labels[, weights]) -> cross_entropy(input, target[, weight])
//   NegativeLogLikelihoodLoss(input, target[, weight])  -> nll_loss(input, target[, weight])
// with `reduction` (ONNX default "mean", as torch's) and `ignore_index` (absent in ONNX: no label is ignored; torch's
// default -100 is then kept, and a test with a label -100 is not mapped, since torch would ignore it). The optional
// second output of SoftmaxCrossEntropyLoss, log_prob = log_softmax(scores, axis 1), maps onto C more cases,
// "<test>/log_prob[:,k]": cross_entropy(scores, target = k everywhere, reduction "none") = -log_prob[:, k, ...]
// (the negation is exact). Anything else -- another op, a graph of several nodes (the *_expanded tests), a dtype
// losscheck does not have (float8, complex, ...) -- is listed with its reason, never dropped silently.

#include "fixtures_onnx.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fixtures.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "onnx/onnx_pb.h"

#ifndef LOSSCHECK_VERSION
#define LOSSCHECK_VERSION "unknown"
#endif

namespace losscheck::cli {

namespace fs = std::filesystem;

namespace {

/// A test that cannot be mapped: the reason goes to the list of skipped tests.
struct not_mapped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class Proto>
Proto read_proto(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw not_mapped(fmt::format("{}: cannot read: {}", path.filename().string(), std::strerror(errno)));
  Proto p;
  if (!p.ParseFromIstream(&in))
    throw not_mapped(fmt::format("{}: not a valid ONNX protobuf message", path.filename().string()));
  return p;
}

const char* onnx_type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float";
    case onnx::TensorProto::DOUBLE: return "double";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::BFLOAT16: return "bfloat16";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::INT64: return "int64";
    default: return "another type";
  }
}

/// Little-endian raw bytes as T (ONNX stores raw_data little-endian; this machine is little-endian).
template <class T>
std::vector<T> raw_values(const std::string& raw, std::size_t n, const std::string& what) {
  if (raw.size() != n * sizeof(T))
    throw not_mapped(fmt::format("{}: raw_data holds {} bytes, the shape needs {}", what, raw.size(), n * sizeof(T)));
  std::vector<T> v(n);
  if (n) std::memcpy(v.data(), raw.data(), raw.size());
  return v;
}

/// IEEE binary16 bits as their value: sign, 5 exponent bits (bias 15), 10 fraction bits.
double float16_value(std::uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
  double v = exponent == 0x1f ? (fraction ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity())
             : exponent == 0  ? std::ldexp(fraction, -24)
                              : std::ldexp(1024 + fraction, exponent - 25);
  return (bits & 0x8000) ? -v : v;
}

/// bfloat16 bits as their value: the upper half of a float32.
double bfloat16_value(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

/// An ONNX tensor as a losscheck tensor: float, double, float16, bfloat16 as float32, float64, float16, bfloat16;
/// int32 and int64 as int64.
tensor to_tensor(const onnx::TensorProto& p, const std::string& what) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    throw not_mapped(fmt::format("{}: external data is not read", what));
  shape_t shape;
  std::size_t n = 1;
  for (auto d : p.dims()) {
    if (d < 0) throw not_mapped(fmt::format("{}: negative dimension {}", what, d));
    shape.push_back(d);
    n *= static_cast<std::size_t>(d);
  }
  const bool raw = p.has_raw_data();
  auto count = [&](int have) {
    if (static_cast<std::size_t>(have) != n)
      throw not_mapped(fmt::format("{}: holds {} values, the shape needs {}", what, have, n));
  };
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT: {
      std::vector<double> v;
      if (raw) {
        for (float x : raw_values<float>(p.raw_data(), n, what)) v.push_back(x);
      } else {
        count(p.float_data_size());
        v.assign(p.float_data().begin(), p.float_data().end());
      }
      return tensor::floats(dtype::float32, shape, std::move(v));
    }
    case onnx::TensorProto::DOUBLE: {
      std::vector<double> v;
      if (raw) {
        v = raw_values<double>(p.raw_data(), n, what);
      } else {
        count(p.double_data_size());
        v.assign(p.double_data().begin(), p.double_data().end());
      }
      return tensor::floats(dtype::float64, shape, std::move(v));
    }
    case onnx::TensorProto::INT64: {
      std::vector<std::int64_t> v;
      if (raw) {
        v = raw_values<std::int64_t>(p.raw_data(), n, what);
      } else {
        count(p.int64_data_size());
        v.assign(p.int64_data().begin(), p.int64_data().end());
      }
      return tensor::int64s(shape, std::move(v));
    }
    case onnx::TensorProto::INT32: {
      std::vector<std::int64_t> v;
      if (raw) {
        for (std::int32_t x : raw_values<std::int32_t>(p.raw_data(), n, what)) v.push_back(x);
      } else {
        count(p.int32_data_size());
        v.assign(p.int32_data().begin(), p.int32_data().end());
      }
      return tensor::int64s(shape, std::move(v));
    }
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      // 16-bit patterns: raw_data little-endian, or one per int32_data entry (ONNX's rule for 16-bit types)
      const bool bf16 = p.data_type() == onnx::TensorProto::BFLOAT16;
      std::vector<std::uint16_t> bits;
      if (raw) {
        bits = raw_values<std::uint16_t>(p.raw_data(), n, what);
      } else {
        count(p.int32_data_size());
        for (auto b : p.int32_data()) bits.push_back(static_cast<std::uint16_t>(b));
      }
      std::vector<double> v;
      for (std::uint16_t b : bits) v.push_back(bf16 ? bfloat16_value(b) : float16_value(b));
      return tensor::floats(bf16 ? dtype::bfloat16 : dtype::float16, shape, std::move(v));
    }
    default:
      throw not_mapped(fmt::format("{}: element type {} ({}) has no losscheck dtype (float32, float64, bfloat16, "
                                   "float16, int64)", what, p.data_type(), onnx_type_name(p.data_type())));
  }
}

/// The loss a node maps onto, or "".
std::string loss_of(const std::string& op) {
  if (op == "SoftmaxCrossEntropyLoss") return "cross_entropy";
  if (op == "NegativeLogLikelihoodLoss") return "nll_loss";
  return "";
}

/// One test directory: its cases, or not_mapped with the reason.
std::vector<fixture_case> import_test(const fs::path& dir, std::set<std::int64_t>& opsets) {
  const std::string name = dir.filename().string();
  const auto model = read_proto<onnx::ModelProto>(dir / "model.onnx");
  const auto& graph = model.graph();
  if (graph.node_size() != 1) {
    std::vector<std::string> ops;
    for (const auto& n : graph.node())
      if (std::find(ops.begin(), ops.end(), n.op_type()) == ops.end()) ops.push_back(n.op_type());
    throw not_mapped(fmt::format("a graph of {} nodes ({}): only a graph of one loss node maps onto a case",
                                 graph.node_size(), fmt::join(ops, ", ")));
  }
  const auto& node = graph.node(0);
  const std::string loss = loss_of(node.op_type());
  if (loss.empty())
    throw not_mapped(fmt::format("op {} has no losscheck loss (mapped: SoftmaxCrossEntropyLoss, "
                                 "NegativeLogLikelihoodLoss)", node.op_type()));
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    throw not_mapped(fmt::format("op {} of domain '{}' (mapped: the default domain)", node.op_type(), node.domain()));
  std::int64_t opset = -1;
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  // SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss exist since opset 12; opset 13 only widened their type
  // constraints (bfloat16), their semantics are the same in every opset up to the newest (22).
  if (opset < 12)
    throw not_mapped(fmt::format("{} needs opset 12 or later, the model imports opset {}", node.op_type(), opset));
  opsets.insert(opset);

  std::optional<std::int64_t> ignore_index;
  std::string reduction = "mean";
  for (const auto& a : node.attribute()) {
    if (a.name() == "reduction" && a.type() == onnx::AttributeProto::STRING) reduction = a.s();
    else if (a.name() == "ignore_index" && a.type() == onnx::AttributeProto::INT) ignore_index = a.i();
    else throw not_mapped(fmt::format("{}: attribute '{}' is not mapped", node.op_type(), a.name()));
  }
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    throw not_mapped(fmt::format("{}: reduction '{}' (ONNX has mean, sum, none)", node.op_type(), reduction));

  // which data file holds each graph input and output: input_k.pb is the k-th graph input that is not an initializer
  std::vector<std::string> graph_inputs, graph_outputs;
  for (const auto& i : graph.input()) {
    const bool init = std::any_of(graph.initializer().begin(), graph.initializer().end(),
                                  [&](const onnx::TensorProto& t) { return t.name() == i.name(); });
    if (!init) graph_inputs.push_back(i.name());
  }
  for (const auto& o : graph.output()) graph_outputs.push_back(o.name());

  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) throw not_mapped("no test_data_set_* directory");

  std::vector<fixture_case> out;
  for (const auto& set : sets) {
    const std::string id = sets.size() == 1 ? name : name + "/" + set.filename().string();
    auto value_of = [&](const std::string& tensor_name, const std::string& role) -> std::optional<tensor> {
      if (tensor_name.empty()) return std::nullopt;  // an optional input left out
      for (const auto& init : graph.initializer())
        if (init.name() == tensor_name) return to_tensor(init, role);
      for (std::size_t k = 0; k < graph_inputs.size(); ++k)
        if (graph_inputs[k] == tensor_name)
          return to_tensor(read_proto<onnx::TensorProto>(set / fmt::format("input_{}.pb", k)), role);
      for (std::size_t k = 0; k < graph_outputs.size(); ++k)
        if (graph_outputs[k] == tensor_name)
          return to_tensor(read_proto<onnx::TensorProto>(set / fmt::format("output_{}.pb", k)), role);
      throw not_mapped(fmt::format("{} '{}' is neither a graph input, an initializer nor a graph output", role, tensor_name));
    };
    auto input = value_of(node.input_size() > 0 ? node.input(0) : "", loss == "cross_entropy" ? "scores" : "input");
    auto target = value_of(node.input_size() > 1 ? node.input(1) : "", loss == "cross_entropy" ? "labels" : "target");
    auto weight = value_of(node.input_size() > 2 ? node.input(2) : "", "weight");
    auto output = value_of(node.output_size() > 0 ? node.output(0) : "", "output");
    auto log_prob = value_of(node.output_size() > 1 ? node.output(1) : "", "log_prob");
    if (!input || !target || !output) throw not_mapped(fmt::format("{} without its two inputs and its output", node.op_type()));
    if (!input->is_floating()) throw not_mapped("the scores/input tensor is not a float tensor");
    if (target->is_floating()) throw not_mapped("the labels/target tensor is not an integer tensor");
    const dtype type = input->type;
    for (const auto* t : {&*output, weight ? &*weight : nullptr, log_prob ? &*log_prob : nullptr})
      if (t && t->type != type)
        throw not_mapped(fmt::format("tensors of two float types ({} and {})", to_string(type), to_string(t->type)));
    if (!ignore_index && std::find(target->ints.begin(), target->ints.end(), -100) != target->ints.end())
      throw not_mapped("a label -100 without ignore_index: torch's default ignore_index (-100) would ignore it, "
                       "ONNX would not");

    fixture_case fc;
    fc.c.id = nlohmann::json(id).dump();
    fc.c.loss = loss;
    fc.c.type = type;
    fc.c.options["reduction"] = reduction;
    if (ignore_index) fc.c.options["ignore_index"] = *ignore_index;
    fc.c.inputs["input"] = *input;
    fc.c.inputs["target"] = *target;
    if (weight) fc.c.inputs["weight"] = *weight;
    fc.expected.id = fc.c.id;
    fc.expected.output = *output;
    fc.grads_recorded = false;
    try {
      const auto want = output_shape(resolve_problem(fc.c));
      if (output->shape != want)
        throw not_mapped(fmt::format("output of shape {}, but {} of these inputs has shape {}", format_shape(output->shape),
                                     loss, format_shape(want)));
    } catch (const loss_error& e) {
      throw not_mapped(fmt::format("losscheck rejects the mapped case: {}", e.what()));
    }
    out.push_back(fc);

    if (log_prob) {
      // log_prob[n, k, d...] = log_softmax(scores)[n, k, d...] = -cross_entropy(scores, k, reduction "none")[n, d...]
      if (log_prob->shape != input->shape)
        throw not_mapped(fmt::format("log_prob of shape {}, the scores' is {}", format_shape(log_prob->shape),
                                     format_shape(input->shape)));
      const std::int64_t n = input->size(0), classes = input->size(1);
      const std::int64_t inner = classes ? input->numel() / (n * classes) : 0;
      for (std::int64_t k = 0; k < classes; ++k) {
        fixture_case lp;
        lp.c.id = nlohmann::json(fmt::format("{}/log_prob[:,{}]", id, k)).dump();
        lp.c.loss = "cross_entropy";
        lp.c.type = type;
        lp.c.options["reduction"] = std::string("none");
        lp.c.inputs["input"] = *input;
        lp.c.inputs["target"] = tensor::int64s(target->shape, std::vector<std::int64_t>(target->ints.size(), k));
        std::vector<double> minus;
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t j = 0; j < inner; ++j) minus.push_back(-log_prob->values[(i * classes + k) * inner + j]);
        lp.expected.id = lp.c.id;
        lp.expected.output = tensor::floats(type, target->shape, std::move(minus));
        lp.grads_recorded = false;
        out.push_back(std::move(lp));
      }
    }
  }
  return out;
}

}  // namespace

onnx_import import_onnx(const std::vector<std::string>& dirs) {
  onnx_import result;
  std::vector<fs::path> tests;
  for (const auto& d : dirs) {
    const fs::path dir(d);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw std::invalid_argument(fmt::format("{}: not a directory", d));
    if (fs::exists(dir / "model.onnx", ec)) {
      tests.push_back(dir);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) found.push_back(e.path());
    if (ec) throw std::invalid_argument(fmt::format("{}: {}", d, ec.message()));
    if (found.empty())
      throw std::invalid_argument(fmt::format("{}: no ONNX node test here (a directory with model.onnx and "
                                              "test_data_set_*/), nor in its subdirectories", d));
    std::sort(found.begin(), found.end());
    tests.insert(tests.end(), found.begin(), found.end());
  }
  std::set<std::string> seen;
  for (const auto& t : tests) {
    const std::string name = t.filename().string();
    if (!seen.insert(name).second) {
      result.skipped.push_back({name, "a second test of this name (ids must be unique): " + t.string()});
      continue;
    }
    ++result.tests;
    try {
      auto cases = import_test(t, result.opsets);
      ++result.mapped;
      for (auto& c : cases) result.cases.push_back(std::move(c));
    } catch (const not_mapped& e) {
      result.skipped.push_back({name, e.what()});
    } catch (const std::exception& e) {
      result.skipped.push_back({name, fmt::format("unreadable: {}", e.what())});
    }
  }
  return result;
}

int import_onnx_command(const onnx_import_options& o, std::ostream& out, std::ostream& err) {
  onnx_import imported;
  try {
    imported = import_onnx(o.dirs);
  } catch (const std::exception& e) {
    err << "losscheck fixtures import onnx: " << e.what() << '\n';
    return exit_codes::usage;
  }
  std::map<std::string, std::size_t> per_loss;
  for (const auto& c : imported.cases) ++per_loss[c.c.loss + " " + std::string(to_string(c.c.type))];
  std::vector<std::string> counts;
  for (const auto& [k, n] : per_loss) counts.push_back(fmt::format("{} {}", k, n));
  out << fmt::format("read {} ONNX node test{}: {} mapped onto {} case{}{}, {} not mapped\n", imported.tests,
                     imported.tests == 1 ? "" : "s", imported.mapped, imported.cases.size(),
                     imported.cases.size() == 1 ? "" : "s",
                     counts.empty() ? "" : fmt::format(" ({})", fmt::join(counts, ", ")), imported.skipped.size());
  for (const auto& [test, why] : imported.skipped) out << fmt::format("  not mapped: {}: {}\n", test, why);
  if (imported.cases.empty()) {
    out << "nothing to write: no test mapped onto a case\n";
    return exit_codes::nothing_checked;
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [test, why] : imported.skipped) skipped.push_back({{"test", test}, {"reason", why}});
  const nlohmann::json generator{{"tool", "losscheck fixtures import onnx"},
                                 {"losscheck", LOSSCHECK_VERSION},
                                 {"opsets", imported.opsets},
                                 {"tests", imported.tests},
                                 {"mapped", imported.mapped},
                                 {"not_mapped", skipped}};
  fixture_witness witness;
  witness.name = o.witness_name;
  witness.version = o.witness_version;
  // onnx.backend.test compares a backend's outputs with these by numpy.testing.assert_allclose at the loader's
  // defaults (ONNX Runtime's runner uses atol 1e-5)
  witness.tolerance = witness_tolerance{1e-3, 1e-7, "onnx.backend.test's defaults for node tests"};
  try {
    write_fixture_file(o.out_path, generator.dump(), imported.cases, witness);
  } catch (const std::exception& e) {
    err << "losscheck fixtures import onnx: " << e.what() << '\n';
    return exit_codes::usage;
  }
  out << fmt::format("wrote {} ({} forward-only cases; verify: losscheck fixtures verify --target impl {})\n", o.out_path,
                     imported.cases.size(), o.out_path);
  return exit_codes::pass;
}

}  // namespace losscheck::cli
