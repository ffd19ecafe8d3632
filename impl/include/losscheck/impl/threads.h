#pragma once
/// @file threads.h
/// The number of threads impl's kernels may use. Large inputs are always cut into the same chunks (a function of the
/// input's size only), whose partial sums are combined in a fixed order, so results do not depend on the thread
/// count; threads only decide who computes the chunks.

namespace losscheck::impl {

/// Lets the kernels use up to `threads` threads (clamped to [1, 2]; the default is 1, or the environment variable
/// LOSSCHECK_IMPL_THREADS when set). Not to be called while a kernel runs.
void set_num_threads(int threads);

/// The number of threads the kernels use.
int num_threads();

}  // namespace losscheck::impl
