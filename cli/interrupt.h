#pragma once
/// @file interrupt.h
/// Ctrl-C during a long run: the first SIGINT or SIGTERM sets a flag that the audit checks between cases and the
/// exec target checks while it waits, so the run stops promptly and still writes what it measured (marked
/// incomplete); a second signal ends the process at once (the default action is restored).

#include <csignal>

namespace losscheck::cli {

namespace detail {
inline volatile std::sig_atomic_t interrupt_signal = 0;
extern "C" inline void on_interrupt(int sig) {
  interrupt_signal = sig;
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills
}
}  // namespace detail

/// Installs the handlers (without SA_RESTART, so that a blocking poll() returns EINTR at once).
inline void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = detail::on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

/// The signal that interrupted the run (SIGINT, SIGTERM), or 0.
inline int interrupted() { return detail::interrupt_signal; }

}  // namespace losscheck::cli
