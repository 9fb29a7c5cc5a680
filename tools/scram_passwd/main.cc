// ringmq-scram-passwd: manages a --scram_file with mosquitto_passwd's command line.
//
//   ringmq-scram-passwd [-I iterations] [-c | -D] FILE USER       (password prompted, or two stdin lines)
//   ringmq-scram-passwd [-I iterations] [-c] -b FILE USER PASSWORD
//
// -c creates (or overwrites) FILE; without it FILE must exist. -D deletes USER. -I sets the PBKDF2
// iteration count of the new verifier (default and minimum 4096, RFC 7677). Each user gets a fresh
// 16-byte salt from OpenSSL's CSPRNG. The file is replaced atomically (written beside it, flushed,
// renamed) with mode 0600: its ServerKeys would let a reader impersonate the broker.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/scram_credentials.h"
#include "core/scram_crypto.h"
#include "tools/scram_passwd/scram_passwd_file.h"

namespace ringmq {
namespace {

constexpr size_t kSaltSize = 16;

struct Options {
  bool create = false;
  bool batch = false;
  bool remove = false;
  uint32_t iterations = kScramMinIterations;
  std::string file;
  std::string user;
  std::string password;  // -b only
};

int Usage() {
  std::fprintf(stderr,
               "ringmq-scram-passwd manages SCRAM-SHA-256 credentials files for ringmq --scram_file.\n\n"
               "Usage: ringmq-scram-passwd [-I iterations] [-c | -D] passwordfile username\n"
               "       ringmq-scram-passwd [-I iterations] [-c] -b passwordfile username password\n"
               " -b : run in batch mode to allow passing passwords on the command line.\n"
               " -c : create a new password file. This will overwrite existing files.\n"
               " -D : delete the username rather than adding/updating its password.\n"
               " -I : PBKDF2 iterations of new verifiers (default and minimum %u, RFC 7677).\n"
               "User names and passwords are printable ASCII (SASLprep is not implemented).\n",
               kScramMinIterations);
  return 2;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "Error: %s\n", message.c_str());
  return 1;
}

std::optional<Options> ParseArguments(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!positional.empty() || arg.empty() || arg[0] != '-') {
      positional.push_back(arg);
    } else if (arg == "-c") {
      options.create = true;
    } else if (arg == "-b") {
      options.batch = true;
    } else if (arg == "-D") {
      options.remove = true;
    } else if (arg == "-I" && i + 1 < argc) {
      const std::string count = argv[++i];
      const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), options.iterations);
      if (error != std::errc() || end != count.data() + count.size() || options.iterations < kScramMinIterations ||
          options.iterations > kScramMaxIterations) {
        std::fprintf(stderr, "Error: -I wants a number from %u to %u.\n", kScramMinIterations, kScramMaxIterations);
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }
  if (options.create && options.remove) return std::nullopt;
  if (options.batch && options.remove) return std::nullopt;
  if (positional.size() != (options.batch ? 3u : 2u)) return std::nullopt;
  options.file = positional[0];
  options.user = positional[1];
  if (options.batch) options.password = positional[2];
  return options;
}

// One line of the terminal without echo, or of stdin when it is not a terminal (scripts pipe the
// password and its confirmation, as they do to mosquitto_passwd).
std::optional<std::string> ReadPassword(const char* prompt) {
  const bool terminal = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (terminal) {
    std::fputs(prompt, stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputs("\n", stderr);
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> PromptPassword() {
  std::optional<std::string> first = ReadPassword("Password: ");
  std::optional<std::string> again = ReadPassword("Reenter password: ");
  if (!first.has_value() || !again.has_value()) {
    std::fprintf(stderr, "Error: no password given.\n");
    return std::nullopt;
  }
  if (*first != *again) {
    std::fprintf(stderr, "Error: Passwords do not match.\n");
    return std::nullopt;
  }
  return first;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError("Unable to open password file " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Writes `text` to a new file beside `path`, flushes it to disk and renames it over `path`, so a crash
// leaves either the old file or the new one, never half of one.
absl::Status ReplaceFile(const std::string& path, const std::string& text) {
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());  // mode 0600
  if (fd < 0) return absl::InternalError("Unable to create a file beside " + path + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == text.size() && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
  const int saved_errno = errno;
  close(fd);
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    const int err = ok ? errno : saved_errno;
    unlink(temp.c_str());
    return absl::InternalError("Unable to write " + path + ": " + std::strerror(err));
  }
  const std::string::size_type slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
    fsync(dir_fd);  // the rename itself survives a crash
    close(dir_fd);
  }
  return absl::OkStatus();
}

int Run(const Options& options) {
  std::string text;
  if (!options.create) {
    absl::StatusOr<std::string> existing = ReadFile(options.file);
    if (!existing.ok()) return Fail(std::string(existing.status().message()));
    text = *std::move(existing);
  }
  absl::StatusOr<std::string> updated;
  if (options.remove) {
    updated = DeleteScramUser(text, options.user);
    if (absl::IsNotFound(updated.status())) {
      std::fprintf(stderr, "Warning: User %s not found in password file.\n", options.user.c_str());
      return 1;
    }
  } else {
    if (absl::Status status = CheckScramUserName(options.user); !status.ok()) {
      return Fail(std::string(status.message()));
    }
    std::optional<std::string> password = options.batch ? options.password : PromptPassword();
    if (!password.has_value()) return 1;
    if (absl::Status status = CheckScramPassword(*password); !status.ok()) return Fail(std::string(status.message()));
    std::optional<std::string> salt = CsprngBytes(kSaltSize);
    if (!salt.has_value()) return Fail("OpenSSL's random generator is not available");
    updated = SetScramUser(text, options.user, DeriveScramVerifier(*password, *salt, options.iterations));
  }
  if (!updated.ok()) return Fail(std::string(updated.status().message()));
  if (absl::Status status = ReplaceFile(options.file, *updated); !status.ok()) {
    return Fail(std::string(status.message()));
  }
  return 0;
}

}  // namespace
}  // namespace ringmq

int main(int argc, char** argv) {
  const std::optional<ringmq::Options> options = ringmq::ParseArguments(argc, argv);
  if (!options.has_value()) return ringmq::Usage();
  return ringmq::Run(*options);
}
