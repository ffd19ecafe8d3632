#pragma once
/// @file support.h
/// Internal to properties/: the helpers every property file uses (evaluation with coverage, comparisons that fail
/// with the case as JSON and a replay line, tensor surgery) and the properties that apply to every loss.

#include <rapidcheck.h>

#include <string>
#include <string_view>
#include <vector>

#include "generators.h"
#include "losscheck/case.h"
#include "losscheck/check.h"
#include "losscheck/loss_record.h"
#include "losscheck/properties.h"

namespace losscheck::properties::detail {

// ---- running ----

/// Evaluates `c` on `t` (the case's edge classes are counted in the running property's coverage).
loss_result evaluate(target& t, const loss_case& c);
/// Counts the edge classes of `c` in the running property's coverage.
void cover(const loss_case& c);
/// One of the context's dtypes.
dtype pick_dtype(const context& ctx);

/// Fails the running property: `message`, then each case as JSON with its result and a replay line for `subject`.
[[noreturn]] void fail(const std::string& message, const std::vector<std::pair<const loss_case*, const loss_result*>>& shown,
                       const target& subject);

/// The gradient `name` in the subject's answer `r` to `c`, or nullptr when the subject declares that it does not
/// compute it (`unsupported_grads`: skipped, never failed — docs/format.md). Every property reads a subject's gradient
/// through this; a gradient neither given nor declared fails the property, naming it.
const tensor* subject_grad(const loss_case& c, const loss_result& r, const std::string& name, const target& subject);

/// For a property that compares the subject's gradients `names` of its answer `r` to `c`: when the subject declares
/// one of them missing the case ends as checking nothing (nothing_to_check); one neither given nor declared fails.
void require_grads(const loss_case& c, const loss_result& r, const std::vector<std::string>& names, const target& subject);

/// Ends the running case as one that checked nothing (`why`: "the subject computes none of the gradients this
/// property checks"). Such cases are not counted as passing; a property none of whose cases checked anything is
/// reported skipped with `why`, never passed.
[[noreturn]] void nothing_to_check(const std::string& why);

/// A half case only (nothing otherwise): discards the running case where the subject's answer `r` to `c` holds ±inf
/// that its float32 answer to the same values holds finite, i.e. the half dtype's range overflowed (float16 ends at
/// 65504). A property that derives an expectation from such an answer (a sum of the none output, a scaled result)
/// would compare with inf where the exact relation holds finitely: that is the dtype's range, not the relation.
void discard_if_half_overflow(target& subject, const loss_case& c, const loss_result& r);

/// The subject must have evaluated `c` (no error): fails otherwise.
void require_ok(const loss_case& c, const loss_result& r, const target& subject);

/// The `expected_from` of the half/float32 consistency property: an expectation rounded once from float32, which the
/// half bound covers as it stands (every other expectation but the reference's is derived from a half answer).
inline constexpr std::string_view float32_rounded_once = "the subject's float32 result rounded once";

/// `got` (the subject's result for `c`) must agree with `expected` under check::compare, the documented tolerance
/// (docs/tolerances.md): both are within k·u·s of the exact value, so they differ by at most k ULPs of s. Gradients
/// that `got` declares missing are skipped, and so are those that `expected` declares missing (an expectation
/// derived from another answer of the subject keeps that answer's unsupported_grads).
/// `expected_from` says where the expected result came from ("reference", "sum of the none output").
void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show = {});

/// As above under a given tolerance (e.g. check::widest of the tolerances of two related cases).
void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show,
                      const check::tolerance& tol);

/// Element-wise: |got − expected| ≤ k · (ε·scale + λ) in the case dtype; non-finite values (and elements of
/// non-finite scale) must match exactly (NaN with NaN). Fails naming `what`.
void expect_close(const loss_case& c, std::string_view what, const tensor& expected, const tensor& got,
                  const std::vector<double>& scale, double k, const target& subject,
                  const std::vector<const loss_case*>& also_show = {});

// ---- cases ----

/// Whether `loss` takes class-index targets (its record's class_index_target()).
bool is_class_loss(const std::string& loss);
/// The batch-leading float input of `loss` (its record's main_input: "input", "input1").
std::string main_input(const std::string& loss);

/// The reduction `c` resolves to (legacy flags applied): "none", "mean", "sum", "batchmean".
std::string effective_reduction(const loss_case& c);
/// `c` with reduction `r` and no legacy flags (and no grad_output).
loss_case with_reduction(loss_case c, const std::string& r);
/// The output shape of `c` (c must resolve).
shape_t output_shape_of(const loss_case& c);
/// A random grad_output for `c` (finite, ordinary, exact in the dtype), or none.
void pick_grad_output(loss_case& c);
/// The divisor of `mean` for `c`: Σ w[y_i] over non-ignored positions (class indices), N·d1..dk (probability
/// targets), numel of the `none` output otherwise.
double mean_divisor(const loss_case& c);
/// The divisor of `batchmean`: input.size(0), 1 for a 0-D input.
double batchmean_divisor(const loss_case& c);
/// A float tensor of `type` and `shape` holding `values` rounded to `type`.
tensor rounded(dtype type, shape_t shape, const std::vector<long double>& values);
/// Whether the class-index case `c` has any ignored target.
std::int64_t ignore_index_of(const loss_case& c);
/// Whether `c`'s target holds probabilities (its record allows them and the target is a float tensor).
bool has_probability_target(const loss_case& c);

// ---- properties that apply to every loss (properties/common.cpp) ----

property agrees_with_the_reference(const std::string& loss);
property is_finite_and_accurate_at_the_extremes(const std::string& loss);
property nan_inputs_propagate_like_torch(const std::string& loss);
property sum_reduction_is_sum_of_none(const std::string& loss);
property mean_reduction_is_mean_of_none(const std::string& loss);
property legacy_flags_equal_their_mapped_reduction(const std::string& loss);
property backward_is_linear_in_grad_output(const std::string& loss);
property gradients_match_finite_differences_of_the_forward(const std::string& loss);
property reduced_loss_is_unchanged_by_permuting_the_batch(const std::string& loss);
property unbatched_input_equals_a_batch_of_one(const std::string& loss);
/// `profile` restricts the cases to those where the mathematics says the loss is ≥ 0.
property loss_is_nonnegative(const std::string& loss, case_profile profile);
property float32_result_lies_within_the_float32_bound_of_float64(const std::string& loss);
/// In a half row only (property::half_only): the half result against the subject's float32 result rounded once.
property half_result_lies_within_the_half_bound_of_float32(const std::string& loss);
property rejects_exactly_what_the_reference_rejects(const std::string& loss);

// ---- registration ----
/// Adds the generic properties `record` asks for (record.properties, in that order).
void add_generic(std::vector<property>& out, const loss_record& record);
/// ignore_index and K-dim properties of the class-index losses (properties/nll_loss.cpp).
void add_class_index(std::vector<property>& out, const std::string& loss);
/// log_softmax over the class dimension of a (C), (N, C) or (N, C, d1..dk) input, in long double.
std::vector<long double> log_softmax(const tensor& input);

}  // namespace losscheck::properties::detail
