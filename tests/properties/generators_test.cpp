// Tests of the case generators (properties/generators.h): for every loss of the catalog, both dtypes and the profiles
// the properties use, a fixed number of cases from a fixed RapidCheck seed, and the share of them in each edge class
// the generator is meant to produce (NaN, ±inf, subnormals, ±0, empty tensors, broadcasting, unbatched and
// K-dimensional inputs, ignore_index hits, probability targets, cases torch rejects, ...).
//
// Expected values: the classes are recognized here from the cases themselves (not by edge_classes, which is checked
// against them); each quota is half the share measured at the seed and count below (the smaller of the two dtypes),
// rounded down. A generator that stops producing a class, or produces it less than half as often, fails; one that
// produces what its profile excludes fails too. generators_test --gtest_filter=*quota* prints the measured table.

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "generators.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/loss_record.h"
#include "losscheck/problem.h"

namespace losscheck::properties {
namespace {

constexpr std::uint64_t seed = 20240613;  // properties::default_seed
constexpr int cases_per_cell = 400;       // per loss × dtype × profile

struct named_profile {
  const char* name;
  case_profile profile;
};

case_profile profile_with(void (*set)(case_profile&)) {
  case_profile p;
  set(p);
  return p;
}

/// The profiles the properties use (properties/common.cpp and the per-loss files).
const std::vector<named_profile>& profiles() {
  static const std::vector<named_profile> all = {
      {"default", case_profile{}},
      {"nonfinite", profile_with([](case_profile& p) { p.nonfinite = true; })},
      {"extreme", profile_with([](case_profile& p) { p.extreme = true; })},
      {"invalid", profile_with([](case_profile& p) { p.invalid = true; })},
      {"smooth", profile_with([](case_profile& p) { p.smooth = true; })},
  };
  return all;
}

/// The edge classes one case falls in, recognized from its inputs, options and shapes.
std::set<std::string> classes_of(const loss_case& c) {
  std::set<std::string> out;
  const loss_record& record = record_of(c.loss);
  const float_traits& traits = dtype_traits(c.type);
  for (const auto& [name, t] : c.inputs)
    for (double v : t.values) {
      if (std::isnan(v)) out.insert("NaN");
      if (v == INFINITY) out.insert("+inf");
      if (v == -INFINITY) out.insert("-inf");
      if (v == 0) out.insert(std::signbit(v) ? "-0" : "+0");
      if (v != 0 && std::fabs(v) < traits.min_normal) out.insert("subnormal");
      if (std::isfinite(v) && std::fabs(v) >= 0x1p64) out.insert("huge");  // its square overflows float32
    }
  const tensor* main = c.input(std::string(record.main_input));
  if (main) {
    for (double v : main->values) {
      if (std::fabs(v) >= 0x1p12 && std::fabs(v) < 0x1p15) out.insert("big logit");  // |x| in [4096, 32768)
      if ((v > 0 && v <= 0x1p-20) || (v >= 1 - 0x1p-20 && v < 1)) out.insert("near 0 or 1");
    }
    if (main->numel() == 0) out.insert("empty");
    if (main->dim() == 0) out.insert("0-D");  // (a rowwise loss: an invalid case; edge_classes names it too)
    if (record.rowwise() && main->dim() == 1) out.insert("unbatched");
    if (record.rowwise() && main->dim() > 2) out.insert("K-dim");  // (N, d1.., C) rows (multilabel_soft_margin too)
    if (record.class_index_target() && main->dim() >= 2 && main->shape[1] == 1) out.insert("C=1");
    // an input that broadcasts to (or with) the main input, shaped otherwise
    for (const auto& spec : record.inputs) {
      const tensor* t = c.input(std::string(spec.name));
      const auto rule = spec.broadcast;
      const bool broadcasts =
          rule == broadcast_rule::mutual || rule == broadcast_rule::into_target || rule == broadcast_rule::last_dim;
      if (t && broadcasts && t->shape != main->shape) out.insert("broadcast");
    }
  }
  const tensor* target = c.input("target");
  if (record.class_index_target() && target && target->type == dtype::int64) {
    std::int64_t ignore = -100;
    if (auto it = c.options.find("ignore_index"); it != c.options.end()) ignore = std::get<std::int64_t>(it->second);
    const std::int64_t classes =
        main && main->dim() >= 2 ? main->shape[1] : (main && main->dim() == 1 ? main->shape[0] : 1);  // 0-D: one class
    bool all = target->numel() > 0;
    for (auto y : target->ints) {
      if (y == ignore) out.insert("ignored target");
      else if (y < 0 || y >= classes) out.insert("target out of range");
      all = all && y == ignore;
    }
    if (all) out.insert("all ignored");
  }
  // a list of class indices ended by -1 (multilabel_margin_loss): values outside [-1, C) are out of range
  if (record.input("target") && record.input("target")->role == input_role::class_index_list && target &&
      target->type == dtype::int64) {
    const std::int64_t classes = main && main->dim() >= 1 ? main->shape.back() : 1;
    for (auto y : target->ints)
      if (y < -1 || y >= classes) out.insert("target out of range");
  }
  // (a float target of multi_margin_loss, whose role is class_index only, is an invalid case, not a probability target)
  if (record.input("target") && record.input("target")->role == input_role::class_index_or_probabilities && target &&
      target->is_floating())
    out.insert("probability target");
  if (record.output == output_rule::per_row && target) {
    if (target->type == dtype::int64) out.insert("int64 target");
    for (double y : target->type == dtype::int64 ? std::vector<double>(target->ints.begin(), target->ints.end())
                                                   : target->values)
      if (y != 1 && y != -1) out.insert("target not ±1");
  }
  if (auto it = c.options.find("label_smoothing"); it != c.options.end() && std::get<double>(it->second) > 0)
    out.insert("label smoothing");
  if (c.input("weight")) out.insert("weight");
  if (c.input("pos_weight")) out.insert("pos_weight");
  if (auto it = c.options.find("log_target"); it != c.options.end() && std::get<bool>(it->second))
    out.insert("log_target");
  if (auto it = c.options.find("reduction"); it != c.options.end()) {
    const auto& r = std::get<std::string>(it->second);
    if (r == "none" || r == "mean" || r == "sum" || r == "batchmean") out.insert("reduction=" + r);
  }
  if (c.options.count("size_average") || c.options.count("reduce")) out.insert("legacy flags");
  if (c.grad_output) out.insert("grad_output");
  try {
    (void)resolve_problem(c);
  } catch (const loss_error&) {
    out.insert("resolve rejects");
  }
  if (impl::evaluate(c).error) out.insert("rejected");
  return out;
}

struct cell {
  std::vector<loss_case> cases;
  std::map<std::string, int> count;  ///< cases per class
  int cases_in(const std::string& cls) const {
    auto it = count.find(cls);
    return it == count.end() ? 0 : it->second;
  }
  double share(const std::string& cls) const {
    return static_cast<double>(cases_in(cls)) / static_cast<double>(cases.size());
  }
};

/// The cases of one loss × dtype × profile and their classes (generated once per test program).
const cell& measured(std::string_view loss, dtype type, const std::string& profile) {
  static std::map<std::string, cell> cells;
  const std::string key = std::string(loss) + "/" + std::string(to_string(type)) + "/" + profile;
  auto it = cells.find(key);
  if (it != cells.end()) return it->second;
  const named_profile* np = nullptr;
  for (const auto& p : profiles())
    if (profile == p.name) np = &p;
  cell& out = cells[key];
  if (!np) return out;
  const auto gen = gen_case(loss, type, np->profile);
  rc::Random random(seed);
  for (int i = 0; i < cases_per_cell; ++i) {
    out.cases.push_back(gen(random.split(), rc::kNominalSize).value());
    for (const auto& cls : classes_of(out.cases.back())) ++out.count[cls];
  }
  return out;
}

/// Prints the measured shares of every class, per profile (the source of the quotas).
void print_measured_shares() {
  std::set<std::string> names;
  for (const auto& record : loss_catalog())
    for (dtype t : {dtype::float32, dtype::float64})
      for (const auto& p : profiles())
        for (const auto& [cls, n] : measured(record.name, t, p.name).count) names.insert(cls);
  for (const auto& p : profiles()) {
    std::printf("profile %s: share of %d cases (float32 / float64)\n%-20s", p.name, cases_per_cell, "");
    for (const auto& record : loss_catalog()) std::printf(" %13.13s", std::string(record.name).c_str());
    std::printf("\n");
    for (const auto& cls : names) {
      std::printf("%-20s", cls.c_str());
      for (const auto& record : loss_catalog())
        std::printf("   %.3f/%.3f", measured(record.name, dtype::float32, p.name).share(cls),
                    measured(record.name, dtype::float64, p.name).share(cls));
      std::printf("\n");
    }
  }
}

// The quotas: minimum shares per class and profile, one column per loss in catalog order (`columns`); -1: not
// asserted (the class does not apply to the loss, or the generator does not make it: no -0, huge values or logits
// among binary_cross_entropy's probabilities, no NaN or ±inf among them either). Each is half the share measured with
// seed 20240613 and 400 cases per cell (the comment: that share in %, the smaller of float32's and float64's), rounded
// down to 0.005 (to 0.001 below 0.01). "near 0 or 1" is asserted for binary_cross_entropy's probabilities only.
// ctc_loss's column: measured at the same seed and count; its (T, N, C) log_probs count as "K-dim" here (rowwise,
// three dimensions), which is not a class of its generator (not asserted); it never makes +inf (torch's log-add turns
// it into NaN: docs/torch-quirks.md) nor values beyond 2^14 ("huge").
constexpr std::size_t loss_count = 21;
const char* const columns[loss_count] = {
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "kl_div",
    "cosine_embedding_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "multilabel_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",
};

struct quota {
  const char* cls;
  const char* profile;
  double min_share[loss_count];
};

// clang-format off
const std::vector<quota> quotas = {
    {"+0", "default", {0.15, 0.3, 0.315, 0.265, 0.21, 0.17, 0.23, 0.155, 0.155, 0.17, 0.115, 0.395, 0.175, 0.195, 0.18, 0.25, 0.27, 0.15, 0.185, 0.245, 0.245}},  // % 30.2 61.0 65.0 52.5 43.8 34.3 46.0 31.8 31.5 34.0 23.5 79.2 35.7 39.8 36.7 50.0 54.0 30.0 37.5 49.5 49.2
    {"-0", "default", {0.13, -1, 0.08, 0.165, 0.165, 0.09, 0.18, 0.125, 0.13, 0.13, 0.09, 0.16, 0.07, 0.125, 0.12, 0.21, 0.24, 0.1, 0.105, 0.12, 0.1}},  // % 26.8 0.0 16.5 33.5 33.0 18.8 36.2 25.5 26.8 26.8 18.2 32.0 14.5 25.5 24.5 42.2 48.0 20.3 21.0 24.5 20.7
    {"0-D", "default", {0.07, 0.04, 0.04, -1, -1, 0.055, -1, 0.06, 0.06, 0.07, 0.04, -1, 0.06, 0.04, -1, -1, -1, 0.02, 0.085, 0.05, -1}},  // % 14.0 8.3 8.3 0.0 0.0 11.3 0.0 12.5 12.2 14.0 8.3 0.0 12.2 8.3 0.0 0.0 0.0 4.5 17.7 10.5 0.0
    {"C=1", "default", {-1, -1, -1, 0.04, 0.04, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0.045, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 8.5 8.5 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 9.5 0.0 0.0 0.0 0.0 0.0 0.0
    {"K-dim", "default", {-1, -1, -1, 0.095, 0.095, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 19.0 19.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 87.0
    {"unbatched", "default", {-1, -1, -1, 0.055, 0.055, -1, 0.065, -1, -1, -1, -1, 0.08, -1, -1, 0.065, 0.065, 0.075, 0.075, -1, -1, -1}},  // % 0.0 0.0 0.0 11.0 11.0 0.0 13.8 0.0 0.0 0.0 0.0 16.3 0.0 0.0 13.8 13.8 15.0 15.0 0.0 0.0 0.0
    {"empty", "default", {0.035, 0.04, 0.04, 0.02, 0.02, 0.035, 0.045, 0.035, 0.03, 0.045, 0.04, 0.02, 0.035, 0.04, 0.015, 0.045, 0.035, 0.02, 0.045, 0.05, 0.03}},  // % 7.5 8.0 8.0 4.0 4.0 7.5 9.2 7.5 6.8 9.5 8.0 4.8 7.5 8.0 3.7 9.2 7.0 4.0 9.5 10.7 6.2
    {"broadcast", "default", {0.135, 0.055, 0.135, -1, -1, 0.125, 0.04, 0.135, 0.15, 0.115, 0.12, 0.17, 0.13, 0.1, -1, 0.035, 0.05, -1, 0.125, 0.29, -1}},  // % 27.8 11.7 28.0 0.0 0.0 25.0 8.0 27.5 30.2 23.3 24.2 34.3 26.0 20.5 0.0 7.5 10.7 0.0 25.0 58.3 0.0
    {"huge", "default", {0.13, -1, 0.07, 0.16, 0.16, 0.095, 0.165, 0.12, 0.115, 0.12, 0.08, 0.135, 0.06, 0.13, 0.11, 0.23, 0.22, 0.105, 0.105, 0.155, -1}},  // % 26.8 0.0 14.2 32.3 32.3 19.3 33.5 24.0 23.3 24.2 16.0 27.5 12.2 26.5 22.8 46.8 44.5 21.0 21.7 31.2 0.0
    {"subnormal", "default", {0.13, 0.015, 0.065, 0.16, 0.145, 0.11, 0.135, 0.1, 0.105, 0.11, 0.065, 0.14, 0.06, 0.12, 0.115, 0.175, 0.175, 0.115, 0.095, 0.15, 0.095}},  // % 26.5 3.0 13.8 32.0 29.7 22.0 27.5 20.7 21.0 22.3 13.8 28.5 12.5 24.2 23.7 35.5 35.0 23.3 19.5 30.0 19.5
    {"big logit", "default", {0.075, -1, 0.075, 0.155, 0.155, 0.085, 0.09, 0.075, 0.07, 0.07, 0.075, 0.135, 0.065, 0.08, 0.11, 0.085, 0.09, 0.11, 0.075, 0.085, 0.35}},  // % 15.8 0.0 15.0 31.5 31.5 17.0 18.0 15.0 14.0 14.0 15.0 27.3 13.0 16.0 22.8 17.2 18.2 22.8 15.2 17.2 70.8
    {"near 0 or 1", "default", {-1, 0.19, -1, -1, -1, -1, -1, -1, -1, -1, 0.065, 0.13, 0.055, 0.06, -1, 0.09, 0.11, -1, 0.085, 0.055, 0.095}},  // % 12.8 38.0 13.0 27.8 27.8 12.5 21.0 13.0 11.0 14.0 13.0 26.3 11.3 12.5 21.0 18.8 22.3 26.3 17.7 11.7 19.3
    {"ignored target", "default", {-1, -1, -1, 0.18, 0.26, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 36.7 52.5 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"all ignored", "default", {-1, -1, -1, 0.045, 0.06, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 9.2 12.8 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"probability target", "default", {-1, -1, -1, 0.155, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 31.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"label smoothing", "default", {-1, -1, -1, 0.14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 28.5 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"weight", "default", {-1, 0.21, 0.165, 0.175, 0.17, -1, -1, -1, -1, -1, -1, 0.195, -1, -1, 0.175, -1, -1, -1, -1, -1, -1}},  // % 0.0 42.0 33.5 35.5 34.7 0.0 0.0 0.0 0.0 0.0 0.0 39.0 0.0 0.0 35.5 0.0 0.0 0.0 0.0 0.0 0.0
    {"pos_weight", "default", {-1, -1, 0.165, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 35.7 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"log_target", "default", {-1, -1, -1, -1, -1, 0.17, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 0.0 0.0 34.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"int64 target", "default", {-1, -1, -1, -1, -1, -1, 0.12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 0.0 0.0 0.0 24.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"target not ±1", "default", {-1, -1, -1, -1, -1, -1, 0.11, -1, -1, -1, -1, 0.45, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 0.0 0.0 0.0 22.8 0.0 0.0 0.0 0.0 90.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"reduction=none", "default", {0.125, 0.125, 0.125, 0.125, 0.125, 0.105, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125}},  // % 25.5 25.5 25.5 25.5 25.5 21.2 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5 25.5
    {"reduction=mean", "default", {0.135, 0.135, 0.135, 0.135, 0.135, 0.1, 0.135, 0.135, 0.135, 0.135, 0.135, 0.185, 0.135, 0.135, 0.135, 0.135, 0.135, 0.135, 0.185, 0.185, 0.135}},  // % 27.5 27.5 27.5 27.5 27.5 20.5 27.5 27.5 27.5 27.5 27.5 37.8 27.5 27.5 27.5 27.5 27.5 27.5 37.8 37.8 27.5
    {"reduction=sum", "default", {0.14, 0.14, 0.14, 0.14, 0.14, 0.12, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14}},  // % 28.2 28.2 28.2 28.2 28.2 24.0 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2 28.2
    {"reduction=batchmean", "default", {-1, -1, -1, -1, -1, 0.105, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 0.0 0.0 0.0 0.0 21.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    {"legacy flags", "default", {0.075, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075, -1, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075, -1, 0.075, 0.075, -1, -1}},  // % 15.5 15.5 15.5 15.5 15.5 15.5 15.5 15.5 15.5 0.0 15.5 15.5 15.5 15.5 15.5 15.5 0.0 15.5 15.5 0.0 0.0
    {"grad_output", "default", {0.305, 0.31, 0.305, 0.315, 0.29, 0.3, 0.285, 0.29, 0.285, 0.295, 0.295, 0.28, 0.295, 0.295, 0.295, 0.285, 0.3, 0.31, 0.305, 0.295, 0.285}},  // % 61.5 61.8 60.5 61.3 60.3 60.5 57.3 58.5 57.8 59.0 59.3 56.5 59.8 59.0 57.5 57.3 60.3 62.0 61.5 59.0 57.5
    {"NaN", "nonfinite", {0.115, -1, 0.08, 0.11, 0.11, 0.085, 0.16, 0.12, 0.12, 0.095, 0.085, 0.14, 0.075, 0.14, 0.1, 0.205, 0.2, 0.1, 0.105, 0.13, 0.095}},  // % 23.3 0.0 16.3 22.8 22.5 17.2 32.8 24.7 24.0 19.3 17.0 28.2 15.2 28.2 20.0 41.5 40.5 20.7 21.2 26.5 19.8
    {"+inf", "nonfinite", {0.115, -1, 0.075, 0.135, 0.135, 0.085, 0.16, 0.12, 0.105, 0.1, 0.08, 0.135, 0.07, 0.12, 0.105, 0.215, 0.19, 0.105, 0.105, 0.175, -1}},  // % 23.3 0.0 15.0 27.8 27.8 17.7 32.8 24.2 21.5 20.3 16.5 27.5 14.7 24.0 21.5 43.2 38.0 21.5 21.2 35.7 0.0
    {"-inf", "nonfinite", {0.12, -1, 0.07, 0.135, 0.13, 0.08, 0.16, 0.11, 0.105, 0.11, 0.075, 0.135, 0.055, 0.105, 0.1, 0.195, 0.185, 0.1, 0.085, 0.11, 0.235}},  // % 24.0 0.0 14.2 27.3 26.8 16.3 32.3 22.5 21.0 22.0 15.0 27.0 11.7 21.7 20.7 39.3 37.8 20.5 17.2 22.8 47.7
    {"huge", "extreme", {0.185, -1, 0.135, 0.215, 0.21, 0.15, 0.24, 0.18, 0.185, 0.18, 0.14, 0.225, 0.09, 0.18, 0.16, 0.31, 0.28, 0.17, 0.175, 0.22, -1}},  // % 37.0 0.0 27.0 43.2 42.2 30.5 48.2 36.0 37.8 36.2 28.5 45.8 18.2 36.7 32.8 62.0 56.5 34.5 35.7 44.3 0.0
    {"subnormal", "extreme", {0.22, 0.025, 0.145, 0.25, 0.23, 0.185, 0.245, 0.2, 0.21, 0.185, 0.145, 0.265, 0.13, 0.2, 0.22, 0.27, 0.295, 0.215, 0.195, 0.28, 0.17}},  // % 44.8 5.5 29.5 50.2 46.5 37.8 49.2 40.7 42.0 37.0 29.5 53.0 26.5 40.0 44.3 54.7 59.3 43.5 39.0 56.0 34.3
    {"big logit", "extreme", {0.155, -1, 0.165, 0.28, 0.28, 0.15, 0.145, 0.155, 0.155, 0.15, 0.165, 0.23, 0.135, 0.155, 0.215, 0.145, 0.15, 0.195, 0.155, 0.15, 0.4}},  // % 31.0 0.0 33.3 56.5 56.5 30.5 29.7 31.2 31.5 30.5 33.3 46.0 27.5 31.0 43.5 29.5 30.7 39.0 31.2 30.7 80.7
    {"near 0 or 1", "extreme", {-1, 0.28, -1, -1, -1, -1, -1, -1, -1, -1, 0.1, 0.205, 0.095, 0.08, -1, 0.15, 0.14, -1, 0.12, 0.105, 0.135}},  // % 21.0 56.0 20.3 36.5 36.5 18.8 30.2 17.5 18.5 21.0 20.3 41.2 19.0 16.8 29.7 30.2 28.7 33.8 24.2 21.0 27.3
    {"resolve rejects", "invalid", {0.07, 0.095, 0.095, 0.09, 0.055, 0.085, 0.055, 0.065, 0.125, 0.155, 0.13, 0.135, 0.065, 0.09, 0.15, 0.065, 0.065, 0.07, 0.09, 0.14, 0.09}},  // % 14.7 20.7 17.2 17.7 11.0 17.2 11.7 13.5 25.8 31.0 26.3 27.5 13.5 18.5 30.2 13.5 13.3 14.7 18.5 28.5 18.0
    {"rejected", "invalid", {0.07, 0.205, 0.095, 0.155, 0.155, 0.085, 0.055, 0.065, 0.125, 0.155, 0.13, 0.135, 0.065, 0.09, 0.215, 0.065, 0.065, 0.15, 0.09, 0.22, 0.195}},  // % 14.7 41.7 17.2 30.5 31.2 17.2 11.7 13.5 25.8 31.0 26.3 27.5 13.5 18.5 43.2 13.5 13.3 30.0 18.5 44.8 39.0
    {"target out of range", "invalid", {-1, -1, -1, 0.075, 0.11, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0.095, -1, -1, 0.09, -1, -1, -1}},  // % 0.0 0.0 0.0 15.2 22.3 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 19.0 0.0 0.0 18.8 0.0 0.0 0.0
    {"NaN", "invalid", {-1, 0.06, -1, 0.045, -1, 0.025, -1, -1, -1, -1, -1, 0.025, -1, -1, -1, -1, -1, -1, -1, -1, -1}},  // % 0.0 12.0 0.0 9.0 0.0 5.5 0.0 0.0 0.0 0.0 0.0 5.5 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
};
// clang-format on

/// Classes a profile must never produce, for every loss and dtype.
struct exclusion {
  const char* cls;
  std::vector<const char*> profiles;
};

const std::vector<exclusion> exclusions = {
    // NaN and ±inf only where the profile allows non-finite values (or, invalid, NaN probabilities)
    {"NaN", {"default", "extreme", "smooth"}},
    {"+inf", {"default", "extreme", "invalid", "smooth"}},
    {"-inf", {"default", "extreme", "invalid", "smooth"}},
    // smooth: moderate values away from kinks and clamps
    {"subnormal", {"smooth"}},
    {"huge", {"smooth"}},
    {"big logit", {"smooth"}},
    {"near 0 or 1", {"smooth"}},
    // only the invalid profile makes cases torch rejects
    {"resolve rejects", {"default", "nonfinite", "extreme", "smooth"}},
    {"rejected", {"default", "nonfinite", "extreme", "smooth"}},
    {"target out of range", {"default", "nonfinite", "extreme", "smooth"}},
};

TEST(generators, the_quota_table_has_a_column_per_loss) {
  ASSERT_EQ(loss_catalog().size(), loss_count) << "a new loss needs its column in the quota table";
  for (std::size_t i = 0; i < loss_count; ++i) EXPECT_EQ(loss_catalog()[i].name, columns[i]);
}

TEST(generators, every_edge_class_reaches_its_quota) {
  ASSERT_EQ(loss_catalog().size(), loss_count);
  print_measured_shares();
  for (const auto& q : quotas)
    for (std::size_t i = 0; i < loss_count; ++i) {
      if (q.min_share[i] < 0) continue;
      for (dtype t : {dtype::float32, dtype::float64}) {
        const cell& m = measured(loss_catalog()[i].name, t, q.profile);
        EXPECT_GE(m.share(q.cls), q.min_share[i]) << loss_catalog()[i].name << " " << to_string(t) << ", profile "
                                                  << q.profile << ": class \"" << q.cls << "\" in " << m.cases_in(q.cls)
                                                  << " of " << m.cases.size() << " cases";
      }
    }
}

TEST(generators, profiles_never_produce_what_they_exclude) {
  for (const auto& e : exclusions)
    for (const char* profile : e.profiles)
      for (const auto& record : loss_catalog())
        for (dtype t : {dtype::float32, dtype::float64}) {
          const cell& m = measured(record.name, t, profile);
          for (const auto& c : m.cases)
            if (classes_of(c).count(e.cls)) {
              ADD_FAILURE() << "profile " << profile << " produced class \"" << e.cls << "\": " << to_json(c);
              break;
            }
        }
}

TEST(generators, the_extreme_profile_weights_the_edges) {
  // summed over the losses and dtypes: more subnormals, huge values, big logits and probabilities next to 0 and 1
  // than the default profile (measured: 1.69, 1.43, 1.84 and 1.43 times as many)
  for (const char* cls : {"subnormal", "huge", "big logit", "near 0 or 1"}) {
    double extreme = 0, ordinary = 0;
    for (const auto& record : loss_catalog())
      for (dtype t : {dtype::float32, dtype::float64}) {
        extreme += measured(record.name, t, "extreme").share(cls);
        ordinary += measured(record.name, t, "default").share(cls);
      }
    EXPECT_GT(extreme, 1.2 * ordinary) << cls;
  }
}

TEST(generators, edge_classes_names_what_the_case_holds) {
  // edge_classes (the coverage tables of the property suite) against the classes recognized here, for the labels
  // both define the same way
  const std::vector<std::pair<std::string, std::vector<std::string>>> same = {
      {"NaN", {"NaN"}},
      {"inf", {"+inf", "-inf"}},
      {"-0", {"-0"}},
      {"0", {"+0", "-0"}},
      {"subnormal", {"subnormal"}},
      {"empty", {"empty"}},
      {"0-D", {"0-D"}},
      {"unbatched", {"unbatched"}},
      {"K-dim", {"K-dim"}},
      {"C=1", {"C=1"}},
      {"ignored target", {"ignored target"}},
      {"all ignored", {"all ignored"}},
      {"target out of range", {"target out of range"}},
      {"probability target", {"probability target"}},
      {"weight", {"weight"}},
      {"pos_weight", {"pos_weight"}},
      {"log_target", {"log_target"}},
      {"legacy flags", {"legacy flags"}},
      {"grad_output", {"grad_output"}},
  };
  for (const auto& record : loss_catalog())
    for (dtype t : {dtype::float32, dtype::float64})
      for (const auto& p : profiles())
        for (const auto& c : measured(record.name, t, p.name).cases) {
          const auto labels = edge_classes(c);
          const std::set<std::string> named(labels.begin(), labels.end());
          const auto mine = classes_of(c);
          for (const auto& [label, classes] : same) {
            bool holds = false;
            for (const auto& cls : classes) holds = holds || mine.count(cls) > 0;
            if (named.count(label) != (holds ? 1u : 0u)) {
              ADD_FAILURE() << "edge_classes " << (holds ? "misses" : "wrongly names") << " \"" << label
                            << "\": " << to_json(c);
              return;
            }
          }
        }
}

TEST(generators, a_seed_gives_the_same_cases) {
  for (const auto& record : loss_catalog()) {
    const auto gen = gen_case(record.name, dtype::float32, case_profile{});
    for (std::uint64_t s = 1; s <= 20; ++s) {
      const auto first = to_json(gen(rc::Random(s), rc::kNominalSize).value());
      EXPECT_EQ(to_json(gen(rc::Random(s), rc::kNominalSize).value()), first) << record.name << " seed " << s;
    }
  }
}


}  // namespace
}  // namespace losscheck::properties
