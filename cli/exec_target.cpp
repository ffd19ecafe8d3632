// exec:COMMAND — an external program over the line protocol, with a timeout per case and restarts after incidents.

#include "exec_target.h"
#include "interrupt.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "losscheck/error.h"
#include "losscheck/json.h"

namespace losscheck::cli {
namespace {

using clock = std::chrono::steady_clock;

std::string describe_seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

/// "not JSON: {"id":1,"outp…" — enough of a line to recognize it.
std::string excerpt(const std::string& line) {
  constexpr std::size_t keep = 80;
  if (line.empty()) return "(an empty line)";
  std::string s = line.substr(0, keep);
  // control bytes and non-ASCII (maybe not UTF-8, which the JSON report could not hold) shown as '?'
  for (auto& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
  return line.size() > keep ? s + "…" : s;
}

std::string describe_status(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) {
    const int s = info.si_status;
    if (s > 128 && s < 128 + 65)
      return fmt::format("exited with status {} (the shell's code for signal {}, {})", s, s - 128, ::strsignal(s - 128));
    return fmt::format("exited with status {}", s);
  }
  return fmt::format("killed by signal {} ({})", info.si_status, ::strsignal(info.si_status));
}

}  // namespace

exec_target::exec_target(std::string command, options o) : command_(std::move(command)), options_(o) {
  ::signal(SIGPIPE, SIG_IGN);  // a program that dies while we write to it must not take the audit with it
}

exec_target::~exec_target() { stop(true); }

void exec_target::start() {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(e)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(e)));
  }
  if (pid == 0) {
    // the child: its own process group (killed as a whole), the pipes as stdin/stdout, default SIGPIPE again
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that the group exists before we may kill it
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  ::fcntl(to_child_, F_SETFL, ::fcntl(to_child_, F_GETFL) | O_NONBLOCK);
  ::fcntl(from_child_, F_SETFL, ::fcntl(from_child_, F_GETFL) | O_NONBLOCK);
  pid_ = pid;
  buffer_.clear();
  last_answered_ = 0;
  ++starts_;
}

std::string exec_target::stop(bool graceful) {
  if (pid_ < 0) return "";
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
  std::string how;
  siginfo_t info{};
  // Peek (WNOWAIT) so that the group leader stays a zombie, its pid reserved, while we kill the rest of its group.
  const auto until = clock::now() + std::chrono::milliseconds(graceful ? 1000 : 0);
  for (;;) {
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
      how = describe_status(info);
      last_exit_status_ = info.si_code == CLD_EXITED ? info.si_status : -1;
      break;
    }
    if (clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid_, SIGKILL);  // the whole process group: no child left behind
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  if (from_child_ >= 0) ::close(from_child_);
  from_child_ = -1;
  pid_ = -1;
  buffer_.clear();
  return how;
}

std::string exec_target::start_failure() {
  loss_case probe;
  probe.loss = "mse_loss";
  probe.type = dtype::float64;
  probe.id = "0";
  probe.inputs["input"] = tensor::floats(dtype::float64, {1}, {1.0});
  probe.inputs["target"] = tensor::floats(dtype::float64, {1}, {0.5});
  probe.options["reduction"] = std::string("none");
  last_exit_status_ = -1;
  const loss_result r = evaluate(probe);
  if (!last_incident_) return "";
  const std::string what = r.error.value_or("no answer");
  if (what.starts_with("exec target could not be started")) return what;
  if (last_exit_status_ == 127)
    return fmt::format("exec target `{}` cannot run: the shell found no such command (exit status 127 before its "
                       "first answer)", command_);
  if (last_exit_status_ == 126)
    return fmt::format("exec target `{}` cannot run: the command is not executable (exit status 126 before its "
                       "first answer)", command_);
  return "";
}

loss_result exec_target::incident(const loss_case& c, std::string what) {
  last_incident_ = true;
  ++incidents_;
  if (first_incident_.empty()) first_incident_ = what;
  return loss_result::failure(c.id, std::move(what));
}

bool exec_target::leader_ended() const {
  if (pid_ < 0) return true;
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
}

bool exec_target::read_ready(std::size_t limit) {
  char chunk[65536];
  while (limit > 0 && from_child_ >= 0) {
    const ssize_t r = ::read(from_child_, chunk, std::min(sizeof chunk, limit));
    if (r > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(r));
      limit -= static_cast<std::size_t>(r);
    } else if (r == 0) {
      return false;
    } else if (errno != EINTR) {
      break;  // EAGAIN: nothing more for now (another error: the main loop meets it again)
    }
  }
  return true;
}

std::string exec_target::partial_answer() const {
  if (buffer_.empty()) return "";
  return fmt::format(" with a partial answer of {} bytes: {}", buffer_.size(), excerpt(buffer_));
}

loss_result exec_target::evaluate(const loss_case& c) {
  last_incident_ = false;
  if (deadline_ && clock::now() >= *deadline_) {
    stop(false);
    return incident(c, "total time limit reached (exec target not asked)");
  }
  if (consecutive_timeouts_ >= options_.max_consecutive_timeouts)
    return incident(c, fmt::format("exec target not asked: it timed out on {} cases in a row and was given up",
                                   consecutive_timeouts_));
  if (total_timeouts_ >= options_.max_total_timeouts)
    return incident(c, fmt::format("exec target not asked: it timed out {} times and was given up", total_timeouts_));
  const bool fresh = pid_ < 0;
  if (fresh) {
    try {
      start();
    } catch (const std::exception& e) {
      return incident(c, fmt::format("exec target could not be started: {}", e.what()));
    }
  }
  const long long seq = ++sequence_;
  // Output before the case is sent answers nothing: a second answer to the case before, or a flood of lines. Taken
  // for the answer to this case, it would put every later answer out of step.
  if (!fresh) read_ready(65536);
  if (!buffer_.empty()) {
    std::string what;
    const auto newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      long long id = 0;
      try {
        const auto j = parse_json(line);
        if (j.is_object() && j.contains("id") && j["id"].is_number_integer()) id = j["id"].get<long long>();
      } catch (const format_error&) {
      }
      what = id != 0 && id == last_answered_
                 ? fmt::format("exec target answered twice for case {} (another line before case {} was sent: {})",
                               id, seq, excerpt(line))
                 : fmt::format("exec target wrote an unexpected line before case {} was sent: {}", seq, excerpt(line));
    } else {
      what = fmt::format("exec target wrote {} unexpected bytes before case {} was sent: {}", buffer_.size(), seq,
                         excerpt(buffer_));
    }
    stop(false);  // out of step: start afresh for the next case
    return incident(c, std::move(what));
  }
  loss_case sent = c;
  sent.id = std::to_string(seq);
  const std::string request = to_json(sent) + "\n";
  std::size_t written = 0;
  const auto grace = fresh ? options_.startup_grace : std::chrono::milliseconds(0);
  auto deadline = clock::now() + options_.timeout + grace;
  const bool total_limit = deadline_ && *deadline_ < deadline;
  if (total_limit) deadline = *deadline_;
  const std::string waited =
      describe_seconds(options_.timeout) +
      (fresh && options_.startup_grace.count() > 0
           ? fmt::format(" (+ {} start-up grace)", describe_seconds(options_.startup_grace))
           : "");
  std::size_t scanned = 0;  // bytes of buffer_ known to hold no newline
  std::size_t newline = std::string::npos;
  char chunk[65536];
  while ((newline = buffer_.find('\n', scanned)) == std::string::npos) {
    scanned = buffer_.size();
    if (buffer_.size() > options_.max_line_bytes) {
      stop(false);
      return incident(c, fmt::format("exec target answered a line longer than {} MiB for case {}",
                                     options_.max_line_bytes >> 20, seq));
    }
    const auto now = clock::now();
    if (interrupted()) {  // Ctrl-C: the audit stops and reports; the program is killed, not waited for
      stop(false);
      return incident(c, fmt::format("interrupted while the exec target worked on case {}", seq));
    }
    if (now >= deadline) {
      std::string what;
      if (total_limit) {
        what = fmt::format("total time limit reached while the exec target worked on case {}{}", seq, partial_answer());
      } else {
        ++consecutive_timeouts_;
        ++total_timeouts_;
        // bytes of the case still in the pipe (FIONREAD works on either end), or never written because it was full
        int in_pipe = 0;
        if (to_child_ < 0 || ::ioctl(to_child_, FIONREAD, &in_pipe) != 0) in_pipe = 0;
        const std::size_t unread =
            std::min(request.size(), request.size() - written + static_cast<std::size_t>(std::max(in_pipe, 0)));
        if (unread > 0)
          what = fmt::format("exec target did not read its input: {} of the {} bytes of case {} still unread after {}",
                             unread, request.size(), seq, waited);
        else
          what = fmt::format("exec target timed out after {} (case {}){}", waited, seq, partial_answer());
      }
      stop(false);
      return incident(c, std::move(what));
    }
    pollfd fds[2] = {{from_child_, POLLIN, 0}, {to_child_, POLLOUT, 0}};
    const nfds_t n = to_child_ >= 0 && written < request.size() ? 2 : 1;
    // short slices: a program that ended while a child of it holds its stdout open gives no end of file
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    const int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(left, 100)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      stop(false);
      return incident(c, fmt::format("exec target: poll failed: {}", std::strerror(errno)));
    }
    if (n == 2 && fds[1].revents) {
      const ssize_t w = ::write(to_child_, request.data() + written, request.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        // it closed its stdin (or died): stop writing; its stdout tells the rest
        ::close(to_child_);
        to_child_ = -1;
      }
    }
    if (fds[0].revents) {
      const ssize_t r = ::read(from_child_, chunk, sizeof chunk);
      if (r > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(r));
      } else if (r == 0) {
        const std::string partial = partial_answer();
        std::string how = stop(true);
        if (how.empty()) how = "closed its stdout (and was killed)";
        return incident(c, fmt::format("exec target {} (case {}){}", how, seq, partial));
      } else if (errno != EAGAIN && errno != EINTR) {
        stop(false);
        return incident(c, fmt::format("exec target: read failed: {}", std::strerror(errno)));
      }
    }
    if (leader_ended()) {
      // take what it wrote before it ended (a descendant may still hold its stdout, so no end of file may come)
      read_ready(options_.max_line_bytes + 1 - std::min(buffer_.size(), options_.max_line_bytes));
      if (buffer_.find('\n', scanned) != std::string::npos) continue;  // its answer came before its end
      const std::string partial = partial_answer();
      std::string how = stop(false);
      if (how.empty()) how = "ended";
      return incident(c, fmt::format("exec target {} (case {}){}", how, seq, partial));
    }
  }
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > options_.max_line_bytes) {
    stop(false);
    return incident(c, fmt::format("exec target answered a line longer than {} MiB for case {}",
                                   options_.max_line_bytes >> 20, seq));
  }
  nlohmann::json j;
  try {
    j = parse_json(line);
  } catch (const format_error&) {
    stop(false);
    return incident(c, fmt::format("exec target answered a line that is not JSON for case {}: {}", seq, excerpt(line)));
  }
  const auto id = j.is_object() ? j.find("id") : j.end();
  if (!j.is_object() || id == j.end() || !id->is_number_integer() || id->get<long long>() != seq) {
    std::string what;
    if (id != j.end() && id->is_number_integer() && last_answered_ != 0 && id->get<long long>() == last_answered_)
      what = fmt::format("exec target answered with the id of the case before ({}) for case {}: a repeated id, or "
                         "a second answer to case {}",
                         last_answered_, seq, last_answered_);
    else
      what = fmt::format("exec target answered with id {} for case {}", id_from_json(j), seq);
    stop(false);  // its answers and our cases are out of step: start afresh
    return incident(c, std::move(what));
  }
  consecutive_timeouts_ = 0;
  last_answered_ = seq;
  loss_result r;
  try {
    r = result_from_json(j, c.type);
  } catch (const std::exception& e) {
    // in step, but not a result: the program stays
    return incident(c, fmt::format("exec target answered an invalid result for case {}: {}", seq, e.what()));
  }
  r.id = c.id;
  return r;
}

}  // namespace losscheck::cli
