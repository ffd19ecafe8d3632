// Speed of the production implementation (impl) against LibTorch, in the same process and run.
//
// Cases: cross_entropy (4096 x 1000) and (256 x 32000), nll_loss (4096 x 1000), mse_loss,
// binary_cross_entropy and binary_cross_entropy_with_logits (16M elements), kl_div (4096 x 1000, batchmean),
// cosine_embedding_loss (4096 x 512), l1_loss, smooth_l1_loss and huber_loss (16M elements, beta = delta = 1),
// soft_margin_loss, poisson_nll_loss (log_input, full) and gaussian_nll_loss (var per element) (16M elements),
// triplet_margin_loss and triplet_margin_with_distance_loss (4096 x 512), ctc_loss (T = 200, N = 32, C = 50,
// S = 40); each in
// float32 and float64, forward ("fwd") and forward+backward ("fwdbwd"),
// reduction mean (batchmean for kl_div), grad_output = 1.
//
// - impl: the typed kernels (losscheck/impl/<loss>.h) writing into buffers allocated once, outside the timed loop,
//   with losscheck::impl::set_num_threads(1 or 2). Counter "allocs_per_call": operator new calls per impl call (the
//   whole process's, counted by the replacement operator new below; it must be 0).
// - LibTorch: the ATen functions torch.nn.functional calls (as libtorch/libtorch_target.cpp), at::set_num_threads(1
//   or 2). fwd runs under NoGradGuard on tensors that do not require grad. fwdbwd is what users run: forward on an
//   input that requires grad, then autograd (torch::autograd::grad, which returns fresh gradient tensors as
//   backward() with set_to_none zero_grad does), not the ATen *_backward functions directly.
// - Gradients: of the inputs a training step needs -- `input` only (the target does not require grad), both inputs
//   of cosine_embedding_loss, all three of triplet_margin_loss -- in impl and LibTorch alike.
// - Counter "bytes": bytes moved per call, inputs read (class indices: 8 bytes each; nll_loss forward reads one logit
//   per row) plus gradients written; "bytes_per_second" from it. triad/t1 and triad/t2: a STREAM triad
//   a = b + s c over 3 x 32M doubles (768 MB, far beyond the L3), 24 bytes per element, the bandwidth reference.
//   The 4096 x 1000 float32 cases (16 MB) fit in a 32 MB L3, so their fraction of the triad can exceed 1.
//
// Names: <case>/<f32|f64>/<fwd|fwdbwd>/<impl|torch>/t<threads>. bench/run.sh runs it and prints the table.

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "losscheck/impl/binary_cross_entropy.h"
#include "losscheck/impl/binary_cross_entropy_with_logits.h"
#include "losscheck/impl/cosine_embedding_loss.h"
#include "losscheck/impl/cross_entropy.h"
#include "losscheck/impl/ctc_loss.h"
#include "losscheck/impl/gaussian_nll_loss.h"
#include "losscheck/impl/kl_div.h"
#include "losscheck/impl/huber_loss.h"
#include "losscheck/impl/l1_loss.h"
#include "losscheck/impl/mse_loss.h"
#include "losscheck/impl/multi_margin_loss.h"
#include "losscheck/impl/nll_loss.h"
#include "losscheck/impl/poisson_nll_loss.h"
#include "losscheck/impl/smooth_l1_loss.h"
#include "losscheck/impl/soft_margin_loss.h"
#include "losscheck/impl/triplet_margin_loss.h"
#include "losscheck/impl/triplet_margin_with_distance_loss.h"
#include "losscheck/impl/threads.h"

// Counts every operator new of the process, to show that impl allocates nothing per call ("impl allocs/call").
static std::atomic<std::int64_t> allocations{0};
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using losscheck::reduction;
namespace li = losscheck::impl;

template <class T>
at::ScalarType scalar_type() {
  return std::is_same_v<T, float> ? at::kFloat : at::kDouble;
}

/// Aligned to 64 bytes, as LibTorch's CPU allocator aligns its tensors (c10's gAlignment): impl reads and writes
/// memory laid out as LibTorch's. (std::vector's 64 MB blocks come from glibc's mmap at 16 mod 64: a 32-byte load in
/// two crosses a cache line, which made memory-bound kernels such as mse_loss 10-15 % slower than on a tensor's data.)
template <class T>
struct cache_line_allocator {
  using value_type = T;
  cache_line_allocator() = default;
  template <class U>
  cache_line_allocator(const cache_line_allocator<U>&) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    if (void* p = std::aligned_alloc(64, bytes ? bytes : 64)) return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }
  template <class U>
  bool operator==(const cache_line_allocator<U>&) const {
    return true;
  }
};
template <class T>
using buffer = std::vector<T, cache_line_allocator<T>>;

/// LibTorch's CPU allocator replaced by one that keeps freed blocks for reuse (the "torch_kernels" rows;
/// docs/performance.md "LibTorch's allocations"). LibTorch allocates its outputs and autograd's intermediates on every
/// call; glibc serves blocks of 32 MB and more with a fresh mmap, so every call also pays the kernel's page faults,
/// whose cost depends on the machine (on a VM under memory pressure: 20-30 us per 4 KB page, which made LibTorch's
/// cross_entropy 10-20 times slower from one hour to the next). With this allocator, after the first call, LibTorch's
/// rows time its kernels only: a stricter comparison for impl (which allocates nothing per call), and a stable one.
/// Blocks are 64-byte aligned as c10's and kept per size; trim() frees the idle ones (at the end of each benchmark).
class caching_torch_allocator final : public at::Allocator {
 public:
  at::DataPtr allocate(std::size_t bytes) const override {
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& pool = free_[bytes];
      if (!pool.empty()) {
        p = pool.back();
        pool.pop_back();
      }
    }
    if (!p) {
      p = std::aligned_alloc(64, std::max<std::size_t>(64, (bytes + 63) / 64 * 64));
      if (!p) throw std::bad_alloc();
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[p] = bytes;
    }
    return {p, p, &release, at::Device(at::DeviceType::CPU)};
  }
  at::DeleterFnPtr raw_deleter() const override { return &release; }
  /// Returns the blocks not in use to the system (the end of a benchmark: the next case's sizes differ).
  void trim() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, pool] : free_)
      for (void* p : pool) {
        sizes_.erase(p);
        std::free(p);
      }
    free_.clear();
  }
  static caching_torch_allocator& instance() {
    static caching_torch_allocator* a = new caching_torch_allocator;  // never destroyed: tensors may outlive main
    return *a;
  }

 private:
  static void release(void* p) {
    if (!p) return;
    auto& a = instance();
    std::lock_guard<std::mutex> lock(a.mutex_);
    a.free_[a.sizes_.at(p)].push_back(p);
  }
  mutable std::mutex mutex_;
  mutable std::map<std::size_t, std::vector<void*>> free_;
  mutable std::map<void*, std::size_t> sizes_;
};

/// Makes LibTorch allocate through caching_torch_allocator (cached = true) or its default CPU allocator for a scope.
struct torch_allocator_scope {
  explicit torch_allocator_scope(bool cached) {
    c10::SetCPUAllocator(cached ? &caching_torch_allocator::instance() : c10::GetDefaultCPUAllocator(), 0);
  }
  ~torch_allocator_scope() {
    c10::SetCPUAllocator(c10::GetDefaultCPUAllocator(), 0);
    caching_torch_allocator::instance().trim();
  }
  torch_allocator_scope(const torch_allocator_scope&) = delete;
  torch_allocator_scope& operator=(const torch_allocator_scope&) = delete;
};

/// A tensor owning `values` (copied), of shape `shape`.
template <class T>
at::Tensor make_tensor(const buffer<T>& values, std::vector<std::int64_t> shape) {
  auto t = at::empty(shape, at::TensorOptions().dtype(scalar_type<T>()));
  std::copy(values.begin(), values.end(), t.template data_ptr<T>());
  return t;
}

at::Tensor make_index_tensor(const buffer<std::int64_t>& values) {
  auto t = at::empty({static_cast<std::int64_t>(values.size())}, at::TensorOptions().dtype(at::kLong));
  std::copy(values.begin(), values.end(), t.data_ptr<std::int64_t>());
  return t;
}

template <class T>
buffer<T> uniform(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  buffer<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

buffer<std::int64_t> classes(std::size_t n, std::int64_t c, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> d(0, c - 1);
  buffer<std::int64_t> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

/// One benchmark case: the impl calls and the LibTorch forward, set up once.
struct bench_case {
  std::string name;
  double bytes_fwd = 0;
  double bytes_fwdbwd = 0;
  std::function<void()> impl_fwd;
  std::function<void()> impl_fwdbwd;
  /// LibTorch forward on the given inputs; `grad_inputs` are the tensors to differentiate in fwdbwd.
  std::function<at::Tensor(const std::vector<at::Tensor>&)> torch_forward;
  std::vector<at::Tensor> torch_inputs;     ///< all inputs, in the order torch_forward takes them
  std::vector<std::size_t> differentiable;  ///< indices into torch_inputs
};

/// Owns the data of every case (the std::functions refer to it).
struct storage {
  std::vector<std::shared_ptr<void>> blocks;
  template <class V>
  V& keep(V v) {
    auto p = std::make_shared<V>(std::move(v));
    blocks.push_back(p);
    return *p;
  }
};

storage& store() {
  static storage s;
  return s;
}

template <class T>
bench_case cross_entropy_case(std::int64_t n, std::int64_t c) {
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n * c), -4, 4, 1));
  auto& y = store().keep(classes(static_cast<std::size_t>(n), c, 2));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::cross_entropy_args<T> a;
  a.input = x.data();
  a.target = y.data();
  a.dims = {n, c, 1};
  a.red = reduction::mean;
  bench_case b;
  b.name = "cross_entropy_" + std::to_string(n) + "x" + std::to_string(c);
  b.bytes_fwd = static_cast<double>(n * c * sizeof(T) + n * 8);
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(n * c * sizeof(T));
  b.impl_fwd = [a, &out] { li::cross_entropy_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] { li::cross_entropy_forward_backward<T>(a, nullptr, out.data(), grad.data()); };
  b.torch_inputs = {make_tensor(x, {n, c}), make_index_tensor(y)};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::cross_entropy_loss(in[0], in[1], {}, at::Reduction::Mean, -100, 0.0);
  };
  return b;
}

template <class T>
bench_case nll_loss_case(std::int64_t n, std::int64_t c) {
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n * c), -10, 0, 3));
  auto& y = store().keep(classes(static_cast<std::size_t>(n), c, 4));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::nll_loss_args<T> a;
  a.input = x.data();
  a.target = y.data();
  a.dims = {n, c, 1};
  a.red = reduction::mean;
  bench_case b;
  b.name = "nll_loss_" + std::to_string(n) + "x" + std::to_string(c);
  b.bytes_fwd = static_cast<double>(n * sizeof(T) + n * 8);  // one gathered logit per row
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(n * c * sizeof(T));
  b.impl_fwd = [a, &out] { li::nll_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] { li::nll_loss_forward_backward<T>(a, nullptr, out.data(), grad.data()); };
  b.torch_inputs = {make_tensor(x, {n, c}), make_index_tensor(y)};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::nll_loss_nd(in[0], in[1], {}, at::Reduction::Mean, -100);
  };
  return b;
}

template <class T>
bench_case multi_margin_loss_case(std::int64_t n, std::int64_t c) {
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n * c), -1, 1, 5));
  auto& y = store().keep(classes(static_cast<std::size_t>(n), c, 6));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::multi_margin_loss_args<T> a;
  a.input = x.data();
  a.target = y.data();
  a.rows = n;
  a.classes = c;
  a.red = reduction::mean;
  bench_case b;
  b.name = "multi_margin_loss_" + std::to_string(n) + "x" + std::to_string(c);
  b.bytes_fwd = static_cast<double>(n * c * sizeof(T) + n * 8);
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(n * c * sizeof(T));
  b.impl_fwd = [a, &out] { li::multi_margin_loss_forward_backward<T>(a, nullptr, out.data(), nullptr); };
  b.impl_fwdbwd = [a, &out, &grad] { li::multi_margin_loss_forward_backward<T>(a, nullptr, out.data(), grad.data()); };
  b.torch_inputs = {make_tensor(x, {n, c}), make_index_tensor(y)};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::multi_margin_loss(in[0], in[1], 1, 1.0, {}, at::Reduction::Mean);
  };
  return b;
}

constexpr std::int64_t elementwise_numel = std::int64_t{1} << 24;  // 16M

template <class T>
bench_case mse_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 5));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 6));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::mse_loss_args<T> a{x.data(), t.data(), n, reduction::mean};
  bench_case b;
  b.name = "mse_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::mse_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::mse_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) { return at::mse_loss(in[0], in[1], at::Reduction::Mean); };
  return b;
}

template <class T>
bench_case soft_margin_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -4, 4, 41));
  auto& y = store().keep(uniform<T>(static_cast<std::size_t>(n), -1, 1, 42));
  for (auto& v : y) v = v >= 0 ? T(1) : T(-1);
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::soft_margin_loss_args<T> a{x.data(), y.data(), n, reduction::mean};
  bench_case b;
  b.name = "soft_margin_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::soft_margin_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] { li::soft_margin_loss_forward_backward<T>(a, nullptr, out.data(), grad.data()); };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(y, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::soft_margin_loss(in[0], in[1], at::Reduction::Mean);
  };
  return b;
}

template <class T>
bench_case binary_cross_entropy_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), 0.01, 0.99, 7));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), 0, 1, 8));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::binary_cross_entropy_args<T> a;
  a.input = x.data();
  a.target = t.data();
  a.numel = n;
  a.red = reduction::mean;
  bench_case b;
  b.name = "binary_cross_entropy_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::binary_cross_entropy_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::binary_cross_entropy_forward_backward<T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::binary_cross_entropy(in[0], in[1], {}, at::Reduction::Mean);
  };
  return b;
}

template <class T>
bench_case binary_cross_entropy_with_logits_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -6, 6, 9));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), 0, 1, 10));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::binary_cross_entropy_with_logits_args<T> a;
  a.input = x.data();
  a.target = t.data();
  a.numel = n;
  a.red = reduction::mean;
  bench_case b;
  b.name = "bce_with_logits_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::binary_cross_entropy_with_logits_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::binary_cross_entropy_with_logits_forward_backward<T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::binary_cross_entropy_with_logits(in[0], in[1], {}, {}, at::Reduction::Mean);
  };
  return b;
}

template <class T>
bench_case kl_div_case(std::int64_t n, std::int64_t c) {
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n * c), -10, -0.01, 11));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n * c), 0, 0.01, 12));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::kl_div_args<T> a;
  a.input = x.data();
  a.target = t.data();
  a.numel = n * c;
  a.red = reduction::batchmean;
  a.batch_size = n;
  bench_case b;
  b.name = "kl_div_" + std::to_string(n) + "x" + std::to_string(c);
  b.bytes_fwd = static_cast<double>(2 * n * c * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * c * sizeof(T));
  b.impl_fwd = [a, &out] { li::kl_div_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::kl_div_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n, c}), make_tensor(t, {n, c})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    // functional.py: batchmean = sum / input.size(0)
    return at::kl_div(in[0], in[1], at::Reduction::Sum, false) / in[0].size(0);
  };
  return b;
}

template <class T>
bench_case cosine_embedding_loss_case(std::int64_t n, std::int64_t d) {
  auto& x1 = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 13));
  auto& x2 = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 14));
  auto& y = store().keep(buffer<T>(static_cast<std::size_t>(n)));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = i % 2 ? T(1) : T(-1);
  auto& g1 = store().keep(buffer<T>(x1.size()));
  auto& g2 = store().keep(buffer<T>(x2.size()));
  auto& out = store().keep(buffer<T>(1));
  li::cosine_embedding_loss_args<T> a;
  a.input1 = x1.data();
  a.columns1 = d;
  a.input2 = x2.data();
  a.columns2 = d;
  a.rows = n;
  a.target = y.data();
  a.target_count = n;
  a.margin = 0.0;
  a.red = reduction::mean;
  bench_case b;
  b.name = "cosine_embedding_loss_" + std::to_string(n) + "x" + std::to_string(d);
  b.bytes_fwd = static_cast<double>((2 * n * d + n) * sizeof(T));
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(2 * n * d * sizeof(T));
  b.impl_fwd = [a, &out] { li::cosine_embedding_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &g1, &g2] {
    li::cosine_embedding_loss_forward_backward<T, T>(a, nullptr, out.data(), g1.data(), g2.data());
  };
  b.torch_inputs = {make_tensor(x1, {n, d}), make_tensor(x2, {n, d}), make_tensor(y, {n})};
  b.differentiable = {0, 1};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::cosine_embedding_loss(in[0], in[1], in[2], 0.0, at::Reduction::Mean);
  };
  return b;
}

template <class T>
bench_case triplet_margin_loss_case(std::int64_t n, std::int64_t d) {
  auto& a = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 15));
  auto& p = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 16));
  auto& ng = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 17));
  auto& ga = store().keep(buffer<T>(a.size()));
  auto& gp = store().keep(buffer<T>(a.size()));
  auto& gn = store().keep(buffer<T>(a.size()));
  auto& out = store().keep(buffer<T>(1));
  li::triplet_margin_loss_args<T> args;
  args.anchor = a.data();
  args.positive = p.data();
  args.negative = ng.data();
  args.rows = n;
  args.dim = d;
  args.red = reduction::mean;
  bench_case b;
  b.name = "triplet_margin_loss_" + std::to_string(n) + "x" + std::to_string(d);
  b.bytes_fwd = static_cast<double>(3 * n * d * sizeof(T));
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(3 * n * d * sizeof(T));
  b.impl_fwd = [args, &out] { li::triplet_margin_loss_forward(args, out.data()); };
  b.impl_fwdbwd = [args, &out, &ga, &gp, &gn] {
    li::triplet_margin_loss_forward_backward<T, T>(args, nullptr, out.data(), ga.data(), gp.data(), gn.data());
  };
  b.torch_inputs = {make_tensor(a, {n, d}), make_tensor(p, {n, d}), make_tensor(ng, {n, d})};
  b.differentiable = {0, 1, 2};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::triplet_margin_loss(in[0], in[1], in[2], 1.0, 2.0, 1e-6, false, at::Reduction::Mean);
  };
  return b;
}

/// triplet_margin_with_distance_loss with distance_function = 1 - cosine_similarity(x, y, dim=-1) (the pairwise
/// distance runs triplet_margin_loss's kernels).
template <class T>
bench_case triplet_margin_with_distance_loss_case(std::int64_t n, std::int64_t d) {
  auto& a = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 18));
  auto& p = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 19));
  auto& ng = store().keep(uniform<T>(static_cast<std::size_t>(n * d), -1, 1, 20));
  auto& ga = store().keep(buffer<T>(a.size()));
  auto& gp = store().keep(buffer<T>(a.size()));
  auto& gn = store().keep(buffer<T>(a.size()));
  auto& out = store().keep(buffer<T>(1));
  li::triplet_margin_with_distance_loss_args<T> args;
  args.anchor = a.data();
  args.positive = p.data();
  args.negative = ng.data();
  args.rows = n;
  args.dim = d;
  args.distance = losscheck::triplet_distance::cosine;
  args.red = reduction::mean;
  bench_case b;
  b.name = "triplet_margin_with_distance_loss_cosine_" + std::to_string(n) + "x" + std::to_string(d);
  b.bytes_fwd = static_cast<double>(3 * n * d * sizeof(T));
  b.bytes_fwdbwd = b.bytes_fwd + static_cast<double>(3 * n * d * sizeof(T));
  b.impl_fwd = [args, &out] { li::triplet_margin_with_distance_loss_forward(args, out.data()); };
  b.impl_fwdbwd = [args, &out, &ga, &gp, &gn] {
    li::triplet_margin_with_distance_loss_forward_backward<T, T>(args, nullptr, out.data(), ga.data(), gp.data(),
                                                                 gn.data());
  };
  b.torch_inputs = {make_tensor(a, {n, d}), make_tensor(p, {n, d}), make_tensor(ng, {n, d})};
  b.differentiable = {0, 1, 2};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    // functional.py: clamp(d(a, p) - d(a, n) + margin, min=0).mean(), d = 1 - cosine_similarity(x, y, dim=-1)
    const auto dp = 1.0 - at::cosine_similarity(in[0], in[1], -1, 1e-8);
    const auto dn = 1.0 - at::cosine_similarity(in[0], in[2], -1, 1e-8);
    return at::clamp(dp - dn + 1.0, 0.0).mean();
  };
  return b;
}

void set_counters(benchmark::State& state, double bytes) {
  state.counters["bytes"] = bytes;
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}

void register_case(const std::shared_ptr<bench_case>& b, const char* dtype) {
  const std::string prefix = b->name + "/" + dtype + "/";
  for (int threads : {1, 2}) {
    const std::string t = "/t" + std::to_string(threads);
    benchmark::RegisterBenchmark((prefix + "fwd/impl" + t).c_str(), [b, threads](benchmark::State& state) {
      li::set_num_threads(threads);
      const auto before = allocations.load();
      for (auto _ : state) b->impl_fwd();
      state.counters["allocs_per_call"] =
          static_cast<double>(allocations.load() - before) / static_cast<double>(state.iterations());
      set_counters(state, b->bytes_fwd);
      li::set_num_threads(1);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark((prefix + "fwdbwd/impl" + t).c_str(), [b, threads](benchmark::State& state) {
      li::set_num_threads(threads);
      const auto before = allocations.load();
      for (auto _ : state) b->impl_fwdbwd();
      state.counters["allocs_per_call"] =
          static_cast<double>(allocations.load() - before) / static_cast<double>(state.iterations());
      set_counters(state, b->bytes_fwdbwd);
      li::set_num_threads(1);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    // LibTorch as users run it (its default CPU allocator: glibc, fresh pages for large blocks) and with its
    // allocations served from a cache (its kernels alone; caching_torch_allocator)
    for (const bool cached : {false, true}) {
      const std::string torch = cached ? "torch_kernels" : "torch";
      benchmark::RegisterBenchmark((prefix + "fwd/" + torch + t).c_str(), [b, threads, cached](benchmark::State& state) {
        const torch_allocator_scope allocator(cached);
        at::set_num_threads(threads);
        at::NoGradGuard no_grad;
        if (cached) b->torch_forward(b->torch_inputs);  // fills the cache: the timed calls allocate nothing new
        for (auto _ : state) {
          auto out = b->torch_forward(b->torch_inputs);
          benchmark::DoNotOptimize(out.data_ptr());
        }
        set_counters(state, b->bytes_fwd);
      })->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark((prefix + "fwdbwd/" + torch + t).c_str(), [b, threads, cached](benchmark::State& state) {
        const torch_allocator_scope allocator(cached);
        at::set_num_threads(threads);
        std::vector<at::Tensor> in;
        std::vector<at::Tensor> wrt;
        for (std::size_t i = 0; i < b->torch_inputs.size(); ++i) {
          in.push_back(b->torch_inputs[i].detach());
          if (std::find(b->differentiable.begin(), b->differentiable.end(), i) != b->differentiable.end()) {
            in.back().set_requires_grad(true);
            wrt.push_back(in.back());
          }
        }
        if (cached) torch::autograd::grad({b->torch_forward(in)}, wrt);  // fills the cache
        for (auto _ : state) {
          auto out = b->torch_forward(in);
          auto grads = torch::autograd::grad({out}, wrt);
          benchmark::DoNotOptimize(grads[0].data_ptr());
        }
        set_counters(state, b->bytes_fwdbwd);
      })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

/// STREAM triad a = b + s c, split over `threads` std::threads (each touches its own slice first).
struct triad_arrays {
  static constexpr std::size_t n = std::size_t{1} << 25;  // 32M doubles per array
  std::unique_ptr<double[]> a{new double[n]}, b{new double[n]}, c{new double[n]};
};

void run_triad(triad_arrays& t, int threads, double s) {
  auto work = [&](std::size_t lo, std::size_t hi) {
    double* __restrict a = t.a.get();
    const double* __restrict b = t.b.get();
    const double* __restrict c = t.c.get();
    for (std::size_t i = lo; i < hi; ++i) a[i] = b[i] + s * c[i];
  };
  if (threads == 1) {
    work(0, t.n);
    return;
  }
  std::vector<std::thread> pool;
  const std::size_t chunk = t.n / static_cast<std::size_t>(threads);
  for (int i = 0; i < threads; ++i) {
    const std::size_t lo = chunk * static_cast<std::size_t>(i);
    const std::size_t hi = i + 1 == threads ? t.n : lo + chunk;
    pool.emplace_back(work, lo, hi);
  }
  for (auto& p : pool) p.join();
}

void register_triad() {
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(("triad/t" + std::to_string(threads)).c_str(), [threads](benchmark::State& state) {
      static triad_arrays t;
      static bool initialised = false;
      if (!initialised) {
        for (std::size_t i = 0; i < t.n; ++i) {
          t.a[i] = 0;
          t.b[i] = 1;
          t.c[i] = 2;
        }
        initialised = true;
      }
      for (auto _ : state) {
        run_triad(t, threads, 3.0);
        benchmark::DoNotOptimize(t.a[t.n / 2]);
        benchmark::ClobberMemory();
      }
      set_counters(state, static_cast<double>(3 * t.n * sizeof(double)));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

/// The core's measured peak of float vector arithmetic, the roofline's compute ceiling (docs/performance.md): 12
/// independent chains, 6 of additions and 6 of multiplications (the kernels' mix, no FMA: impl uses none), on 8 float
/// lanes (AVX2) or 16 (AVX-512), long enough that the loop overhead is negligible. Counter "vector_ops": vector
/// instructions per call; table.py prints them per nanosecond, and float operations per nanosecond (x lanes).
template <class V>
[[gnu::always_inline]] inline V peak_chains(std::int64_t steps) {
  V acc[12], step[12];  // a different increment or factor per chain, so that no two chains can be merged
  for (int k = 0; k < 12; ++k) {
    acc[k] = V{} + static_cast<float>(k + 1);
    step[k] = V{} + (k < 6 ? 1e-7f * static_cast<float>(k + 1) : 1.0f - 1e-7f * static_cast<float>(k));
  }
  for (std::int64_t i = 0; i < steps; ++i) {
    for (int k = 0; k < 6; ++k) acc[k] = acc[k] + step[k];
    for (int k = 6; k < 12; ++k) acc[k] = acc[k] * step[k];
  }
  V sum = acc[0];
  for (int k = 1; k < 12; ++k) sum = sum + acc[k];
  return sum;
}
typedef float peak_f8 __attribute__((vector_size(32)));
typedef float peak_f16 __attribute__((vector_size(64)));
__attribute__((target("avx2"), noinline)) float peak_avx2(std::int64_t steps) { return peak_chains<peak_f8>(steps)[0]; }
__attribute__((target("avx2,avx512f"), noinline)) float peak_avx512(std::int64_t steps) {
  return peak_chains<peak_f16>(steps)[0];
}

void register_peak() {
  constexpr std::int64_t steps = 1 << 20;
  __builtin_cpu_init();
  for (int wide : {0, 1}) {
    if (wide && !__builtin_cpu_supports("avx512f")) continue;
    benchmark::RegisterBenchmark(wide ? "peak/avx512" : "peak/avx2", [wide](benchmark::State& state) {
      for (auto _ : state) benchmark::DoNotOptimize(wide ? peak_avx512(steps) : peak_avx2(steps));
      state.counters["vector_ops"] = static_cast<double>(12 * steps);
      state.counters["lanes"] = wide ? 16 : 8;
    })->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

// l1_loss, smooth_l1_loss and huber_loss: 16M elements, x and t uniform in [-2, 2] (|x - t| on both sides of
// beta = delta = 1), reduction mean, the gradient of input only (as mse_loss).
template <class T>
bench_case l1_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 5));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 6));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::l1_loss_args<T> a{x.data(), t.data(), n, reduction::mean};
  bench_case b;
  b.name = "l1_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::l1_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::l1_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) { return at::l1_loss(in[0], in[1], at::Reduction::Mean); };
  return b;
}

template <class T>
bench_case smooth_l1_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 5));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 6));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::smooth_l1_loss_args<T> a{x.data(), t.data(), n, 1.0, reduction::mean};
  bench_case b;
  b.name = "smooth_l1_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::smooth_l1_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::smooth_l1_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::smooth_l1_loss(in[0], in[1], at::Reduction::Mean, 1.0);
  };
  return b;
}

template <class T>
bench_case huber_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 5));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 6));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::huber_loss_args<T> a{x.data(), t.data(), n, 1.0, reduction::mean};
  bench_case b;
  b.name = "huber_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::huber_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::huber_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::huber_loss(in[0], in[1], at::Reduction::Mean, 1.0);
  };
  return b;
}

template <class T>
bench_case poisson_nll_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 51));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), 0, 8, 52));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::poisson_nll_loss_args<T> a{x.data(), t.data(), n, reduction::mean, true, true, 1e-8};
  bench_case b;
  b.name = "poisson_nll_loss_16M";
  b.bytes_fwd = static_cast<double>(2 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(3 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::poisson_nll_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::poisson_nll_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n})};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::poisson_nll_loss(in[0], in[1], true, true, 1e-8, at::Reduction::Mean);
  };
  return b;
}

template <class T>
bench_case gaussian_nll_loss_case() {
  const auto n = elementwise_numel;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 53));
  auto& t = store().keep(uniform<T>(static_cast<std::size_t>(n), -2, 2, 54));
  auto& v = store().keep(uniform<T>(static_cast<std::size_t>(n), 0.1, 4, 55));
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::gaussian_nll_loss_args<T> a{x.data(), t.data(), v.data(), n, reduction::mean, false, 1e-6};
  bench_case b;
  b.name = "gaussian_nll_loss_16M";
  b.bytes_fwd = static_cast<double>(3 * n * sizeof(T));
  b.bytes_fwdbwd = static_cast<double>(4 * n * sizeof(T));
  b.impl_fwd = [a, &out] { li::gaussian_nll_loss_forward(a, out.data()); };
  b.impl_fwdbwd = [a, &out, &grad] {
    li::gaussian_nll_loss_forward_backward<T, T>(a, nullptr, out.data(), grad.data(), nullptr, nullptr);
  };
  b.torch_inputs = {make_tensor(x, {n}), make_tensor(t, {n}), make_tensor(v, {n})};
  b.differentiable = {0};
  // functional.py's composite: var cloned and clamped under no_grad, 0.5 (log var + (x - t)^2 / var), mean
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    at::Tensor var = in[2].clone();
    {
      at::NoGradGuard no_grad;
      var.clamp_(1e-6);
    }
    return (at::log(var) + at::pow(in[0] - in[1], 2) / var).mul(0.5).mean();
  };
  return b;
}

// ctc_loss (T = 200, N = 32, C = 50, S = 40): normalized log_probs, labels 1..49 (blank 0), padded targets, target
// lengths 20..40, full input lengths, mean; the recursion is O(T S) per sequence, the sequences on the threads.
template <class T>
bench_case ctc_loss_case() {
  constexpr std::int64_t steps = 200, n = 32, c = 50, s = 40;
  auto& x = store().keep(uniform<T>(static_cast<std::size_t>(steps * n * c), -8, 0, 61));
  for (std::size_t r = 0; r < x.size() / c; ++r) {  // log-softmax rows
    double m = x[r * c], z = 0;
    for (std::int64_t k = 1; k < c; ++k) m = std::max(m, static_cast<double>(x[r * c + k]));
    for (std::int64_t k = 0; k < c; ++k) z += std::exp(static_cast<double>(x[r * c + k]) - m);
    for (std::int64_t k = 0; k < c; ++k) x[r * c + k] = static_cast<T>(x[r * c + k] - m - std::log(z));
  }
  auto& y = store().keep(classes(static_cast<std::size_t>(n * s), c - 1, 62));
  for (auto& v : y) v += 1;  // never the blank
  auto& il = store().keep(buffer<std::int64_t>(static_cast<std::size_t>(n), steps));
  auto& tl = store().keep(classes(static_cast<std::size_t>(n), s - 20 + 1, 63));
  for (auto& v : tl) v += 20;
  auto& off = store().keep(buffer<std::int64_t>(static_cast<std::size_t>(n)));
  for (std::int64_t b = 0; b < n; ++b) off[static_cast<std::size_t>(b)] = b * s;
  auto& grad = store().keep(buffer<T>(x.size()));
  auto& out = store().keep(buffer<T>(1));
  li::ctc_loss_args<T> a;
  a.log_probs = x.data();
  a.steps = steps;
  a.batch = n;
  a.classes = c;
  a.labels = y.data();
  a.label_offset = off.data();
  a.input_lengths = il.data();
  a.target_lengths = tl.data();
  a.red = reduction::mean;
  bench_case b;
  b.name = "ctc_loss_200x32x50_S40";
  b.bytes_fwd = static_cast<double>(steps * n * c * sizeof(T));
  b.bytes_fwdbwd = 2 * b.bytes_fwd;
  b.impl_fwd = [a, &out] { li::ctc_loss_forward_backward<T>(a, nullptr, out.data(), nullptr); };
  b.impl_fwdbwd = [a, &out, &grad] { li::ctc_loss_forward_backward<T>(a, nullptr, out.data(), grad.data()); };
  b.torch_inputs = {make_tensor(x, {steps, n, c}), make_index_tensor(y).view({n, s}), make_index_tensor(il),
                    make_index_tensor(tl)};
  b.differentiable = {0};
  b.torch_forward = [](const std::vector<at::Tensor>& in) {
    return at::ctc_loss(in[0], in[1], in[2], in[3], 0, at::Reduction::Mean, false);
  };
  return b;
}

template <class T>
void register_dtype(const char* dtype) {
  register_case(std::make_shared<bench_case>(cross_entropy_case<T>(4096, 1000)), dtype);
  register_case(std::make_shared<bench_case>(cross_entropy_case<T>(256, 32000)), dtype);
  register_case(std::make_shared<bench_case>(nll_loss_case<T>(4096, 1000)), dtype);
  register_case(std::make_shared<bench_case>(mse_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(binary_cross_entropy_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(binary_cross_entropy_with_logits_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(kl_div_case<T>(4096, 1000)), dtype);
  register_case(std::make_shared<bench_case>(cosine_embedding_loss_case<T>(4096, 512)), dtype);
  register_case(std::make_shared<bench_case>(l1_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(smooth_l1_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(huber_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(soft_margin_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(poisson_nll_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(gaussian_nll_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(ctc_loss_case<T>()), dtype);
  register_case(std::make_shared<bench_case>(triplet_margin_loss_case<T>(4096, 512)), dtype);
  register_case(std::make_shared<bench_case>(triplet_margin_with_distance_loss_case<T>(4096, 512)), dtype);
  register_case(std::make_shared<bench_case>(multi_margin_loss_case<T>(4096, 1000)), dtype);
}

}  // namespace

int main(int argc, char** argv) {
  register_triad();
  register_peak();
  register_dtype<float>("f32");
  register_dtype<double>("f64");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
