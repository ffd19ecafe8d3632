// Which Boost.Multiprecision backend the reference uses: MPFR (mpfr_float, precision chosen at run time) against
// cpp_bin_float (header-only, precision fixed at compile time), both at 256 bits, on the reference's hot operation
// (exp and log, as in log-sum-exp and softplus). Build with -DLOSSCHECK_BENCH=ON; see docs/reference.md.

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/mpfr.hpp>
#include <chrono>
#include <cstdio>

namespace mp = boost::multiprecision;

template <class T>
double microseconds_per_exp_log(int n) {
  T acc = 0, x = T(1) / 3;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    acc += log(T(1) + exp(x - acc / 1000));
    x += T(1) / 7;
  }
  const auto stop = std::chrono::steady_clock::now();
  volatile double sink = acc.template convert_to<double>();
  (void)sink;
  return std::chrono::duration<double, std::micro>(stop - start).count() / n;
}

int main() {
  mp::mpfr_float::default_precision(78);  // 78 decimal digits = 256 bits (Boost 1.74 sets digits, not bits)
  const double mpfr = microseconds_per_exp_log<mp::mpfr_float>(20000);
  const double bin = microseconds_per_exp_log<mp::number<mp::cpp_bin_float<256, mp::digit_base_2>>>(2000);
  std::printf("256 bits, one exp + one log + 3 arithmetic ops:\n");
  std::printf("  mpfr_float          %8.2f us\n  cpp_bin_float<256>  %8.2f us\n  ratio               %8.2fx\n", mpfr,
              bin, bin / mpfr);
}
