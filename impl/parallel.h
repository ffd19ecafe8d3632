#pragma once
// Private to impl: running a kernel's fixed chunks on the threads allowed by set_num_threads (threads.h). At most two
// chunks: the caller computes chunk 0 while one persistent helper thread computes chunk 1 (no thread is started and
// nothing is allocated per call).

#include <cstdint>

#include "losscheck/impl/threads.h"

namespace losscheck::impl {

/// Inputs of at least this many elements are cut into two chunks (at a multiple of `align`); smaller ones form one.
constexpr std::int64_t parallel_threshold = std::int64_t{1} << 15;

/// The start of chunk `chunk` (0, 1 or 2 = the end) of [0, count) cut as described above.
inline std::int64_t chunk_start(std::int64_t count, int chunk, std::int64_t align) {
  if (chunk == 0) return 0;
  if (chunk == 2 || count < parallel_threshold) return count;
  return count / 2 / align * align;
}

/// The number of chunks of [0, count).
inline int chunk_count(std::int64_t count) { return count < parallel_threshold ? 1 : 2; }

/// Calls work(context, 0) and work(context, 1), on two threads when num_threads() > 1. Returns when both are done.
void run_two_chunks(void (*work)(void*, int), void* context);

/// Runs f(0) alone (chunks = 1), or f(0) and f(1) as run_two_chunks does (chunks = 2).
template <class F>
void run_chunks(int chunks, F& f) {
  if (chunks == 1) {
    f(0);
    return;
  }
  run_two_chunks([](void* c, int chunk) { (*static_cast<F*>(c))(chunk); }, &f);
}

/// Runs f(chunk) for every chunk of [0, count): f(0) then f(1) on one thread, or both at once.
template <class F>
void for_each_chunk(std::int64_t count, F& f) {
  run_chunks(chunk_count(count), f);
}

}  // namespace losscheck::impl
