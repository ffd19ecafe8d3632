#pragma once
/// @file exec_target.h
/// `exec:COMMAND`: an external program that speaks the line protocol of `losscheck run` (docs/format.md).
///
/// COMMAND is started once with `/bin/sh -c`, in its own process group. Each case is written as one JSON line to its
/// stdin, with the case's id replaced by a sequence number, and one result line is read from its stdout within a
/// timeout. A timeout, a crash, an exit, a line that is not JSON or that answers another id is an *incident*: the
/// result is a failure naming what happened ("exec target timed out after 10 s"), the whole process group is killed
/// and the program is started again for the next case. So are output that arrives before a case was sent (a second
/// answer, a flood of lines), an answer with the id of the case before, a line longer than the cap (a flood: memory
/// stays bounded) and a program that does not read its input (writes never block; see docs/audit.md "Targets").

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>

#include "losscheck/target.h"

namespace losscheck::cli {

class exec_target final : public target {
 public:
  struct options {
    std::chrono::milliseconds timeout{10000};  ///< per case
    /// Added to the timeout of the first case after each start: loading a library (torch, or LibTorch in
    /// `losscheck run`) takes seconds and is not the case's fault.
    std::chrono::milliseconds startup_grace{30000};
    std::size_t max_line_bytes = std::size_t{64} << 20;  ///< longer answers are an incident ("flood")
    /// After this many timeouts in a row (no answer in between) the program is given up: every further case is an
    /// incident at once, so that a program that hangs on everything cannot stall an audit for hours.
    int max_consecutive_timeouts = 3;
    /// ... and after this many timeouts in all (a program that hangs on some inputs would stall shrinking).
    int max_total_timeouts = 5;
  };

  /// `command` is the text after "exec:". Ignores SIGPIPE for the whole process (a dead program must not kill us).
  exec_target(std::string command, options o);
  ~exec_target() override;
  exec_target(const exec_target&) = delete;
  exec_target& operator=(const exec_target&) = delete;

  std::string name() const override { return "exec:" + command_; }
  loss_result evaluate(const loss_case& c) override;

  /// Starts the program and sends it one simple valid case (mse_loss of [1] and [0.5]). Returns why the program
  /// cannot run at all — the shell could not find or execute the command (status 127 or 126) or it could not be
  /// started — or "" when it answered or failed in any other way (those are findings of the audit, not usage errors).
  std::string start_failure();

  /// A total time limit: no case waits past `t`, and from `t` on evaluate() returns the incident "total time limit
  /// reached" without asking the program (which is stopped).
  void set_deadline(std::chrono::steady_clock::time_point t) { deadline_ = t; }

  /// Whether the last evaluate() ended in an incident (not an answer of the program).
  bool last_was_incident() const { return last_incident_; }
  /// Incidents so far, and the first one's message.
  int incidents() const { return incidents_; }
  const std::string& first_incident() const { return first_incident_; }
  /// Processes started so far (1 + restarts).
  int starts() const { return starts_; }

 private:
  void start();
  /// Kills the process group and reaps the program; returns how it ended ("exited with status 3", "killed by
  /// signal 11 (Segmentation fault)"), or "" when it was still running and we killed it.
  std::string stop(bool graceful);
  loss_result incident(const loss_case& c, std::string what);
  /// Whether the program (the group leader) has ended; leaves it a zombie so that its pid stays reserved.
  bool leader_ended() const;
  /// Reads what is ready on its stdout without waiting, at most `limit` bytes; false at end of file.
  bool read_ready(std::size_t limit);
  /// "" or " with a partial answer of 123 bytes: {"id":7,…" — what it wrote of an unfinished line.
  std::string partial_answer() const;

  std::string command_;
  options options_;
  pid_t pid_ = -1;
  int to_child_ = -1;    // its stdin
  int from_child_ = -1;  // its stdout
  std::string buffer_;   // bytes read past the last line
  int last_exit_status_ = -1;  // the status of the last program that exited by itself (-1: none, or a signal)
  long long sequence_ = 0;
  long long last_answered_ = 0;  // the sequence number of the last answer in step (0: none since the start)
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool last_incident_ = false;
  int incidents_ = 0;
  int consecutive_timeouts_ = 0;
  int total_timeouts_ = 0;
  int starts_ = 0;
  std::string first_incident_;
};

}  // namespace losscheck::cli
