// The loss registry, loss × layer: every loss of the catalog (LOSSCHECK_LOSSES) has its record, a file of its base
// name in every layer, and each layer answers for it — the reference, the impl, the tolerance model, the generator,
// the property registry, the diagnosis and (when built) LibTorch — on a valid case the loss's own generator makes.
// A loss added without one of its parts fails here, naming the loss and the missing layer (docs/adding-a-loss.md).
// Expected values: none are hard-coded; the layers are checked against each other (impl against the reference under
// check/'s tolerance; a valid case is one the reference accepts).

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "diagnosis.h"
#include "generators.h"
#include "loss_properties.h"
#include "losscheck/check.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/loss_record.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "losscheck/properties.h"
#ifdef LOSSCHECK_HAVE_LIBTORCH
#include "losscheck/libtorch_plugin.h"
#endif

namespace losscheck {
namespace {

namespace fs = std::filesystem;

class registry : public ::testing::TestWithParam<std::string> {
 protected:
  const loss_record& record() const { return record_of(GetParam()); }

  /// The first of up to 200 cases of the loss's own generator (fixed seed) that the reference accepts.
  std::optional<loss_case> valid_case(dtype type) const {
    properties::case_profile profile;
    const auto gen = properties::gen_case(GetParam(), type, profile);
    for (int i = 0; i < 200; ++i) {
      const loss_case c = gen(rc::Random(static_cast<std::uint64_t>(1000 + i)), 50).value();
      if (reference::evaluate(c).ok()) return c;
    }
    return std::nullopt;
  }
};

TEST_P(registry, record_is_well_formed) {
  const auto& r = record();
  EXPECT_EQ(r.name, GetParam());
  EXPECT_EQ(&loss_catalog().at(r.index), &r) << r.name << ": index is not its position in loss_catalog()";
  EXPECT_FALSE(r.doc.empty()) << r.name << ": record has no doc";
  ASSERT_FALSE(r.inputs.empty()) << r.name << ": record has no inputs";
  std::set<std::string_view> names;
  for (const auto& i : r.inputs) EXPECT_TRUE(names.insert(i.name).second) << r.name << ": input " << i.name << " twice";
  const auto* main = r.input(r.main_input);
  ASSERT_NE(main, nullptr) << r.name << ": main_input '" << r.main_input << "' is not one of its inputs";
  EXPECT_EQ(main->broadcast, broadcast_rule::main) << r.name << ": the main input's broadcast rule is not `main`";
  EXPECT_TRUE(main->required) << r.name << ": the main input is optional";
  names.clear();
  for (const auto& o : r.options) EXPECT_TRUE(names.insert(o.name).second) << r.name << ": option " << o.name << " twice";
  EXPECT_NE(r.option("reduction"), nullptr) << r.name << ": no reduction option";
  EXPECT_FALSE(r.properties.empty()) << r.name << ": the record lists no generic property";
  if (r.rowwise()) EXPECT_FALSE(r.row_name.empty()) << r.name << ": a rowwise loss needs row_name (diagnosis)";
  bool differentiable = false;
  for (const auto& i : r.inputs) differentiable |= i.grad == grad_rule::always;
  EXPECT_TRUE(differentiable) << r.name << ": no input is differentiated";
}

/// The text of `p`, or "" when it cannot be read.
std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_P(registry, every_layer_has_a_file) {
  const fs::path root = LOSSCHECK_SOURCE_DIR;
  const std::string loss = GetParam();
  // the compiled layers fail the configuration without their file; these would be silently missing
  for (const fs::path& p : {root / "fixtures" / (loss + ".json"), root / "tests" / "losses" / (loss + "_test.cpp")})
    EXPECT_TRUE(fs::exists(p) && fs::file_size(p) > 0) << loss << ": missing " << p.lexically_relative(root).string();
  // the parts outside C++ name the loss as a quoted string
  for (const char* file : {"examples/torch_exec.py", "tools/random_cases.py", "bench/losses_accuracy.cpp"})
    EXPECT_NE(read_text(root / file).find('"' + loss + '"'), std::string::npos)
        << loss << ": " << file << " does not know the loss (docs/adding-a-loss.md, step 11)";
  EXPECT_NE(read_text(root / "README.md").find('`' + loss + '`'), std::string::npos)
      << loss << ": README.md's list of losses does not name it";
}

TEST_P(registry, generator_makes_valid_cases_in_both_dtypes) {
  ASSERT_NE(properties::properties_of(record()).generate, nullptr) << GetParam() << ": no generator";
  for (dtype t : {dtype::float32, dtype::float64})
    EXPECT_TRUE(valid_case(t).has_value()) << GetParam() << ": the generator made no case the reference accepts in "
                                           << to_string(t);
}

TEST_P(registry, impl_agrees_with_the_reference_and_the_tolerance_model_answers) {
  for (dtype t : {dtype::float32, dtype::float64}) {
    const auto c = valid_case(t);
    ASSERT_TRUE(c) << GetParam();
    const auto want = reference::evaluate(*c);
    const auto got = impl::evaluate(*c);
    ASSERT_TRUE(got.ok()) << GetParam() << ": impl rejects " << to_json(*c) << ": " << got.error.value_or("?");
    check::tolerance tol;
    ASSERT_NO_THROW(tol = check::tolerance_for(*c)) << GetParam() << ": no tolerance";
    const auto cmp = check::compare(*c, want, got, tol);
    EXPECT_TRUE(cmp.passed) << GetParam() << ": " << cmp.message << "\ncase: " << to_json(*c);
    std::set<std::string> grads;
    for (const auto& [name, g] : want.grads) grads.insert(name);
    const auto differentiable = record().differentiable(*c);
    EXPECT_EQ(grads, std::set<std::string>(differentiable.begin(), differentiable.end()))
        << GetParam() << ": the reference's gradients are not the record's differentiable inputs";
  }
}

TEST_P(registry, property_registry_holds_the_records_properties) {
  std::size_t own = 0;
  for (const auto& p : properties::registry()) own += p.loss == GetParam();
  std::size_t generic = record().properties.size();
  EXPECT_GE(own, generic) << GetParam() << ": fewer registered properties than the record's generic ones";
  if (record().has(generic_property::nonnegative))
    EXPECT_TRUE(properties::properties_of(record()).nonnegative.has_value())
        << GetParam() << ": the record lists `nonnegative` but properties/" << GetParam() << ".cpp gives no profile";
}

TEST_P(registry, diagnosis_finds_nothing_wrong_with_impl) {
  const auto c = valid_case(dtype::float64);
  ASSERT_TRUE(c);
  auto subject = impl::make_target();
  auto ref = reference::make_target();
  const auto findings = properties::diagnose(*c, *subject, *ref);
  EXPECT_TRUE(findings.empty()) << GetParam() << ": " << findings.front().text;
}

#ifdef LOSSCHECK_HAVE_LIBTORCH
TEST_P(registry, libtorch_answers_with_the_records_gradients) {
  const auto c = valid_case(dtype::float64);
  ASSERT_TRUE(c);
  const auto got = libtorch::load_plugin(LOSSCHECK_LIBTORCH_PLUGIN_PATH).evaluate(*c);
  ASSERT_TRUE(got.ok()) << GetParam() << ": libtorch: " << got.error.value_or("?");
  std::set<std::string> grads;
  for (const auto& [name, g] : got.grads) grads.insert(name);
  const auto differentiable = record().differentiable(*c);
  EXPECT_EQ(grads, std::set<std::string>(differentiable.begin(), differentiable.end())) << GetParam();
}
#endif

std::vector<std::string> all_losses() {
  std::vector<std::string> out;
  for (const auto& r : loss_catalog()) out.emplace_back(r.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(loss, registry, ::testing::ValuesIn(all_losses()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace losscheck
