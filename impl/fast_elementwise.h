#pragma once
// Private to impl: the block driver of the elementwise losses' fast paths (mse_loss, binary_cross_entropy,
// binary_cross_entropy_with_logits, kl_div).
//
// The elements are taken in blocks of `block` elements, `simd::lanes` at a time, by a branch-free lane function that
// assumes finite, in-domain operands and reports whether they were (a lane value that is 0 exactly when they were).
// A block where any lane was not is redone element by element by the loss's per-element code (torch's inf/NaN
// semantics), which overwrites what the lanes stored; so is the tail (numel not a multiple of the lanes). The loss sum
// is kept per lane (double for float results; compensated for double results) and restored to its value at the
// start of a block that is redone; the lanes are combined in a fixed order at the end, so the result depends on the
// data only: not on the instruction set (vector_math.h) nor on the thread count (chunks, see parallel.h).

#include <cstdint>
#include <type_traits>

#include "isa.h"
#include "parallel.h"
#include "vector_math.h"

namespace losscheck::impl::simd {

// The accumulators are aligned to a cache line each: the two chunks' sums (sums[2] in the kernels) are written by two
// threads, and sharing one line made mse_loss slower with 2 threads than with 1 (the line bounced between the cores
// at every step while the sums were kept in memory; run_blocks now keeps them in registers as well).

/// Plain per-lane double sums (float results: 4 lanes x n 2^-53 relative error, far below float's 2^-24).
struct alignas(64) plain_lanes {
  vd sum = splat(0.0);
  LOSSCHECK_INLINE void add(vd x) { sum += x; }
  /// Eight terms (the AVX-512 build's steps): lanes 0-3, then 4-7, as two 4-lane steps would add them.
  LOSSCHECK_INLINE void add(vd8 x) {
    add(low4(x));
    add(high4(x));
  }
  LOSSCHECK_INLINE void add_scalar(double x) { sum[0] += x; }
  /// Adds another accumulator's lanes (the next chunk's), lane by lane.
  LOSSCHECK_INLINE void merge(const plain_lanes& o) { sum += o.sum; }
  LOSSCHECK_INLINE double value() const { return horizontal_sum(sum); }
};

/// Compensated per-lane sums (double results).
struct alignas(64) compensated_accumulator : compensated_lanes {
  LOSSCHECK_INLINE void add_scalar(double x) { add(vd{x, 0.0, 0.0, 0.0}); }
  LOSSCHECK_INLINE void merge(const compensated_accumulator& o) {
    add(o.sum);
    compensation += o.compensation;
  }
};

template <class T>
using lane_accumulator = std::conditional_t<std::is_same_v<T, float>, plain_lanes, compensated_accumulator>;

constexpr std::int64_t block = 512;

/// The block loop of run_blocks and run_blocks_wide: `lanes_over(b, full, acc)` runs the vector steps over [b, full)
/// (full - b a multiple of `width`) and returns their badness; a bad block is redone element by element, and the tail.
template <int width, class Acc, class BlockLanes, class Slow>
LOSSCHECK_INLINE void run_blocks_by(std::int64_t begin, std::int64_t end, Acc* sum, const BlockLanes& lanes_over,
                                    const Slow& slow) {
  static_assert(block % width == 0);
  // The sum is kept in a local, passed as &local or nullptr by two calls (so that each knows which and the sum stays in
  // registers: a pointer that may be null keeps it in memory, a dependency through a store and a load at every step),
  // and written back at the end.
  Acc local = sum ? *sum : Acc{};
  Acc* acc = sum ? &local : nullptr;
  for (std::int64_t b = begin; b < end; b += block) {
    const std::int64_t stop = b + block < end ? b + block : end;
    const std::int64_t full = b + (stop - b) / width * width;
    const Acc saved = local;
    const vd bad = sum ? lanes_over(b, full, &local) : lanes_over(b, full, static_cast<Acc*>(nullptr));
    if (horizontal_sum(bad) != 0.0) {  // NaN or inf somewhere: the whole block element by element
      local = saved;
      for (std::int64_t i = b; i < full; ++i) {
        const double term = slow(i);
        if (acc) local.add_scalar(term);
      }
    }
    for (std::int64_t i = full; i < stop; ++i) {
      const double term = slow(i);
      if (acc) local.add_scalar(term);
    }
  }
  if (sum) *sum = local;
}

/// Runs [begin, end): `step(i, loss_sum_or_null)` handles elements [i, i + width), stores what it computes and returns
/// a vector that is 0 exactly when its operands were finite and in the fast domain (e.g. the sum of v - v over its
/// values); it adds its losses to the accumulator passed (nullptr: it must not). `slow(i)` handles element i alone and
/// returns its loss term for the sum (ignored when `sum` is nullptr).
/// `width` (a divisor of `block`): the elements one step handles (4, or 8 for the float32 steps of 8 float lanes).
template <int width = simd::lanes, class Acc, class Lanes, class Slow>
LOSSCHECK_INLINE void run_blocks(std::int64_t begin, std::int64_t end, Acc* sum, const Lanes& step, const Slow& slow) {
  run_blocks_by<width>(
      begin, end, sum,
      [&](std::int64_t b, std::int64_t full, Acc* acc) __attribute__((always_inline)) {
        vd bad = splat(0.0);
        for (std::int64_t i = b; i < full; i += width) bad += step(i, acc);
        return bad;
      },
      slow);
}

/// run_blocks with two steps: `wide_step(i, acc)` handles [i, i + 8) (the AVX-512 build's 8 double lanes) and `step`
/// [i, i + 4) where fewer than 8 elements are left before the per-element tail, so that every element the 4-lane run
/// would give the lanes goes to the lanes here too, and the per-element code gets the same tail. A wide step must add
/// to the accumulator what two 4-lane steps would, in their order (its lanes 0-3, then 4-7: plain_lanes::add of 8),
/// and return the sum of its two halves' badness; then the results are the 4-lane run's bit for bit.
template <class Acc, class WideLanes, class Lanes, class Slow>
LOSSCHECK_INLINE void run_blocks_wide(std::int64_t begin, std::int64_t end, Acc* sum, const WideLanes& wide_step,
                                      const Lanes& step, const Slow& slow) {
  static_assert(block % 8 == 0);
  run_blocks_by<lanes>(
      begin, end, sum,
      [&](std::int64_t b, std::int64_t full, Acc* acc) __attribute__((always_inline)) {
        vd bad = splat(0.0);
        std::int64_t i = b;
        for (; i + 8 <= full; i += 8) bad += wide_step(i, acc);
        if (i < full) bad += step(i, acc);
        return bad;
      },
      slow);
}

/// Runs a loss's fast path over [0, numel): in the chunks of parallel.h (cut at a multiple of `block`; on two threads
/// where allowed), each through dispatch (isa.h) as body(build, chunk, begin, end, sum) with sum = &sums[chunk], or
/// nullptr when `sums` is (no loss sum wanted). `body` is an always_inline lambda that calls run_blocks over
/// [begin, end), e.g.
///   run_fast_path(numel, sums, [&](auto, int, std::int64_t begin, std::int64_t end, auto* sum)
///                                  __attribute__((always_inline)) { fast_body(a, begin, end, sum, element); });
/// The caller merges sums[0] and sums[1] in that order.
/// wide: through dispatch_wide (a body with an AVX-512 form, selected on its build argument, e.g. run_blocks_wide).
template <bool wide = false, class Acc, class Body>
void run_fast_path(std::int64_t numel, Acc* sums, const Body& body) {
  auto chunk = [&](int c) {
    const std::int64_t begin = chunk_start(numel, c, block), end = chunk_start(numel, c + 1, block);
    if constexpr (wide) dispatch_wide(body, c, begin, end, sums ? sums + c : nullptr);
    else dispatch(body, c, begin, end, sums ? sums + c : nullptr);
  };
  for_each_chunk(numel, chunk);
}

}  // namespace losscheck::impl::simd
