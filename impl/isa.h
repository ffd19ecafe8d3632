#pragma once
// Private to impl: the choice between the AVX-512, AVX2 and generic (SSE2) builds of a kernel.
//
// Most kernels have two builds (dispatch); those with a 16-float-lane form (cross_entropy's float32 rows) a third,
// AVX-512 (dispatch_wide), whose results are the same bits.
//
// A kernel body is a lambda marked always_inline that calls only always_inline functions (vector_math.h,
// vector_math_float.h, double_double.h). simd::dispatch inlines it into one of two functions, one compiled for AVX2
// (target("avx2"): 256-bit registers), one for generic x86-64 (two 128-bit SSE2 halves per vector), and calls the
// one use_avx2() picks. No function uses FMA and impl is compiled with -ffp-contract=off, so both builds perform the
// same IEEE operations in the same order and give bit-identical results; the AVX2 one is only faster.

#include <cstdlib>
#include <cstring>

#define LOSSCHECK_AVX2 __attribute__((target("avx2")))
/// The AVX-512 build (F, VL, DQ, BW: 512-bit registers), used by the kernels that have a 16-float-lane form
/// (dispatch_wide); no FMA either.
#define LOSSCHECK_AVX512 __attribute__((target("avx2,avx512f,avx512vl,avx512dq,avx512bw")))
#define LOSSCHECK_INLINE [[gnu::always_inline]] inline

namespace losscheck::impl::simd {

/// True when the AVX2 build of the kernels should run: the CPU has AVX2 and the environment variable
/// LOSSCHECK_IMPL_ISA is not "generic" (which tests use to run the generic build). Evaluated once.
inline bool use_avx2() {
  static const bool avx2 = [] {
    const char* isa = std::getenv("LOSSCHECK_IMPL_ISA");
    if (isa && std::strcmp(isa, "generic") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return avx2;
}

/// True when the AVX-512 build of the kernels that have one should run: the CPU (and the OS: libgcc checks the
/// saved register state) has AVX-512 F, VL, DQ and BW, and LOSSCHECK_IMPL_ISA is neither "generic" nor "avx2" (which
/// tests use to run the other builds). Evaluated once.
inline bool use_avx512() {
  static const bool avx512 = [] {
    const char* isa = std::getenv("LOSSCHECK_IMPL_ISA");
    if (isa && (std::strcmp(isa, "generic") == 0 || std::strcmp(isa, "avx2") == 0)) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  }();
  return avx512;
}

/// The build a kernel body is compiled into, its first argument (a body may pick an instruction for one build).
struct avx512_build {};
struct avx2_build {};
struct generic_build {};

template <class Body, class... Args>
LOSSCHECK_AVX2 auto run_avx2(const Body& body, Args... args) {
  return body(avx2_build{}, args...);
}
template <class Body, class... Args>
LOSSCHECK_AVX512 auto run_avx512(const Body& body, Args... args) {
  return body(avx512_build{}, args...);
}
template <class Body, class... Args>
auto run_generic(const Body& body, Args... args) {
  return body(generic_build{}, args...);
}

/// body(build, args...) in the AVX2 build where use_avx2(), in the generic build otherwise. `body` is a lambda
/// marked __attribute__((always_inline)) whose first parameter takes the build (avx2_build or generic_build):
///   simd::dispatch([&](auto build, std::int64_t n) __attribute__((always_inline)) { ... }, n);
/// The arguments are passed by value (scalars stay in registers inside the kernel; captures are read through the
/// lambda).
template <class Body, class... Args>
LOSSCHECK_INLINE auto dispatch(const Body& body, Args... args) {
  return use_avx2() ? run_avx2(body, args...) : run_generic(body, args...);
}

/// dispatch with a third build, AVX-512, where use_avx512(): for the kernels whose body has a 16-float-lane form
/// (selected on avx512_build) that performs each element's operations and each sum's additions in the same order as
/// the 8-lane form, so that all three builds give the same bits. (The 4-double-lane kernels compiled for AVX-512 as
/// they are measured no faster: docs/performance.md.)
template <class Body, class... Args>
LOSSCHECK_INLINE auto dispatch_wide(const Body& body, Args... args) {
  if (use_avx512()) return run_avx512(body, args...);
  return use_avx2() ? run_avx2(body, args...) : run_generic(body, args...);
}

}  // namespace losscheck::impl::simd
