#pragma once
// Private to impl: the choice between the AVX2 and the generic (SSE2) build of a kernel.
//
// A kernel body is a lambda marked always_inline that calls only always_inline functions (vector_math.h,
// vector_math_float.h, double_double.h). simd::dispatch inlines it into one of two functions, one compiled for AVX2
// (target("avx2"): 256-bit registers), one for generic x86-64 (two 128-bit SSE2 halves per vector), and calls the
// one use_avx2() picks. No function uses FMA and impl is compiled with -ffp-contract=off, so both builds perform the
// same IEEE operations in the same order and give bit-identical results; the AVX2 one is only faster.

#include <cstdlib>
#include <cstring>

#define LOSSCHECK_AVX2 __attribute__((target("avx2")))
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

/// The build a kernel body is compiled into, its first argument (a body may pick an instruction for one build).
struct avx2_build {};
struct generic_build {};

template <class Body, class... Args>
LOSSCHECK_AVX2 auto run_avx2(const Body& body, Args... args) {
  return body(avx2_build{}, args...);
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

}  // namespace losscheck::impl::simd
