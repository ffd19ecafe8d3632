// The helper thread of parallel.h.
#include "parallel.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace losscheck::impl {
namespace {

int initial_threads() {
  const char* env = std::getenv("LOSSCHECK_IMPL_THREADS");
  return env && std::atoi(env) >= 2 ? 2 : 1;
}

int configured_threads = initial_threads();

/// One persistent worker that runs chunk 1 of each submitted job.
class helper {
 public:
  helper() : thread_([this] { loop(); }) {}
  ~helper() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void run(void (*work)(void*, int), void* context) {
    {
      std::lock_guard lock(mutex_);
      work_ = work;
      context_ = context;
      done_ = false;
    }
    wake_.notify_all();
    work(context, 0);
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [this] { return done_; });
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || work_ != nullptr; });
      if (stop_) return;
      auto* work = work_;
      void* context = context_;
      work_ = nullptr;
      lock.unlock();
      work(context, 1);
      lock.lock();
      done_ = true;
      finished_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  void (*work_)(void*, int) = nullptr;
  void* context_ = nullptr;
  bool done_ = true;
  bool stop_ = false;
  std::thread thread_;
};

std::mutex submit_mutex;  // one job at a time on the helper (kernels called from several threads take turns)

}  // namespace

void set_num_threads(int threads) { configured_threads = threads >= 2 ? 2 : 1; }

int num_threads() { return configured_threads; }

void run_two_chunks(void (*work)(void*, int), void* context) {
  if (configured_threads < 2) {
    work(context, 0);
    work(context, 1);
    return;
  }
  std::unique_lock lock(submit_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {  // the helper is busy with another caller's job: compute both here
    work(context, 0);
    work(context, 1);
    return;
  }
  static helper h;
  h.run(work, context);
}

}  // namespace losscheck::impl
