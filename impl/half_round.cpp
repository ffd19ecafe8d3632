// Rounding float32 results to bfloat16 and float16, vectorized (half_round.h).

#include "half_round.h"

#include <cpuid.h>
#include <immintrin.h>

#include "isa.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace losscheck::impl {

namespace {

// bfloat16 = the upper 16 bits of a float32. Round to nearest even on the bits: add 0x7fff plus the lowest kept bit
// and clear the lower half. The carry runs into the exponent where it should (1.11111111b·2^e → 2^(e+1), and the
// largest finite value's upper neighbourhood → 0x7f800000 = inf); NaN (exponent all ones, fraction ≠ 0) is kept as it
// is, since the addition could carry a NaN's payload into the sign.
inline float round_to_bfloat16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
  return std::bit_cast<float>(nan ? u : rounded);
}

// The loops below convert between double and float (exact: the values are float32 values) and round in float32
// lanes; written as plain loops that the compiler vectorizes in both builds.
void round_bfloat16(std::vector<double>& values) {
  double* v = values.data();
  const std::size_t n = values.size();
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(round_to_bfloat16(static_cast<float>(v[i])));
}

__attribute__((target("avx2,f16c"))) void round_float16_f16c(std::vector<double>& values) {
  double* v = values.data();
  const std::size_t n = values.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // 8 doubles → 8 floats (exact) → 8 halves, rounded to nearest even (IEEE: subnormals, overflow to inf, NaN
    // quieted) → 8 floats (exact) → 8 doubles
    const __m128 lo = _mm256_cvtpd_ps(_mm256_loadu_pd(v + i)), hi = _mm256_cvtpd_ps(_mm256_loadu_pd(v + i + 4));
    const __m256 f = _mm256_set_m128(hi, lo);
    const __m256 back = _mm256_cvtph_ps(_mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm256_storeu_pd(v + i, _mm256_cvtps_pd(_mm256_castps256_ps128(back)));
    _mm256_storeu_pd(v + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(back, 1)));
  }
  for (; i < n; ++i) v[i] = round_to(dtype::float16, v[i]);
}

/// The AVX2 build is chosen (simd::use_avx2: LOSSCHECK_IMPL_ISA=generic turns it off) and the CPU has F16C.
bool has_f16c() {
  static const bool yes = [] {
    // CPUID leaf 1, ECX bit 29 (F16C): clang's __builtin_cpu_supports does not know "f16c"
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return simd::use_avx2() && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  }();
  return yes;
}

}  // namespace

void round_float32_values_to_half(std::vector<double>& values, dtype type) {
  if (type == dtype::bfloat16) {
    round_bfloat16(values);
    return;
  }
  if (type == dtype::float16 && has_f16c()) {
    round_float16_f16c(values);
    return;
  }
  for (auto& v : values) v = round_to(type, v);
}

}  // namespace losscheck::impl
