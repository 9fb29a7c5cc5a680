// ringmq-passwd: manages mosquitto-format password files, with mosquitto_passwd's command line.
//
//   ringmq-passwd [-H sha512-pbkdf2|sha512] [-I iterations] [-c | -D] FILE USER   (prompts)
//   ringmq-passwd [-H ...] [-I iterations] [-c] -b FILE USER PASSWORD
//   ringmq-passwd [-I iterations] -U FILE
//
// -c creates (or overwrites) FILE with USER alone; without -c, USER's line in an existing FILE is
// replaced or appended and every other line is kept. -D deletes USER. -U hashes a plain-text
// `user:password` file in place. -I sets the PBKDF2 iteration count (default 1000, as mosquitto
// 2.1 writes; mosquitto 2.0 writes 101, which an audit called too low, and both read any count).
// Salts are 12 bytes so that mosquitto 2.0 reads the file as well as 2.1 and ringmq.
//
// The password is read from the terminal twice without echo, or, when stdin is not a terminal, from
// stdin's first line (a second line, if any, must repeat it, as mosquitto_passwd reads two).
// The file is written whole to a temporary file beside it, synced, then renamed over it, so a
// reader - a broker reloading on SIGHUP - sees the old file or the new one, never half of one. A new
// file is mode 0600; a replaced one keeps its owner, group and permissions less those for others.
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/password_file.h"
#include "core/password_hash.h"
#include "tools/passwd/password_file_edit.h"

namespace ringmq {
namespace {

constexpr size_t kSaltSize = 12;
constexpr size_t kMaxPasswordSize = 65535;

struct Options {
  bool batch = false;
  bool create = false;
  bool remove = false;
  bool update_plain_text = false;
  PasswordScheme scheme = PasswordScheme::kPbkdf2Sha512;
  int iterations = kDefaultPbkdf2Iterations;
  std::string file;
  std::string user;
  std::optional<std::string> password;  // from -b
};

void PrintUsage() {
  std::cout
      << "ringmq-passwd manages mosquitto-format password files for ringmq (and mosquitto).\n\n"
         "Usage: ringmq-passwd [-H sha512-pbkdf2 | -H sha512] [-I iterations] [-c | -D] passwordfile username\n"
         "       ringmq-passwd [-H sha512-pbkdf2 | -H sha512] [-I iterations] [-c] -b passwordfile username password\n"
         "       ringmq-passwd [-I iterations] -U passwordfile\n"
         " -b : batch mode: the password is on the command line (visible to other local users).\n"
         " -c : create a new password file, overwriting an existing one.\n"
         " -D : delete the user rather than adding or updating its password.\n"
         " -H : hash: sha512-pbkdf2 ($7$, default) or sha512 (legacy $6$, one round: weak).\n"
         " -I : PBKDF2 iterations (default "
      << kDefaultPbkdf2Iterations
      << "; mosquitto 2.0 writes 101, 2.1 writes 1000).\n"
         " -U : hash the passwords of a plain-text user:password file in place.\n";
}

absl::Status UsageError(std::string_view why) {
  return absl::InvalidArgumentError(absl::string_view(why.data(), why.size()));
}

absl::StatusOr<int> ParseIterations(std::string_view text) {
  char* end = nullptr;
  std::string copy(text);
  errno = 0;
  long value = std::strtol(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || errno != 0 || value < 1 || value > INT_MAX) {
    return UsageError("-I wants a number of iterations from 1 to 2147483647");
  }
  return static_cast<int>(value);
}

// mosquitto_passwd's parsing: options first, then the positional arguments their mode needs.
absl::StatusOr<Options> ParseArguments(const std::vector<std::string_view>& args) {
  Options options;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-b") {
      options.batch = true;
    } else if (arg == "-c") {
      options.create = true;
    } else if (arg == "-D") {
      options.remove = true;
    } else if (arg == "-U") {
      options.update_plain_text = true;
    } else if (arg == "-I" || arg == "-H") {
      if (i + 1 == args.size()) return UsageError(std::string(arg) + " needs a value");
      std::string_view value = args[++i];
      if (arg == "-I") {
        absl::StatusOr<int> iterations = ParseIterations(value);
        if (!iterations.ok()) return iterations.status();
        options.iterations = *iterations;
      } else if (value == "sha512-pbkdf2") {
        options.scheme = PasswordScheme::kPbkdf2Sha512;
      } else if (value == "sha512") {
        options.scheme = PasswordScheme::kSha512;
      } else {
        return UsageError("unknown hash type '" + std::string(value) + "'");
      }
    } else {
      break;
    }
  }
  if (options.create && options.remove) return UsageError("-c and -D cannot be used together");
  if (options.create && options.update_plain_text) return UsageError("-c and -U cannot be used together");
  if (options.remove && options.update_plain_text) return UsageError("-D and -U cannot be used together");
  if (options.remove && options.batch) return UsageError("-b and -D cannot be used together");
  if (options.update_plain_text && options.batch) return UsageError("-b and -U cannot be used together");
  size_t wanted = options.update_plain_text ? 1 : options.batch ? 3 : 2;
  if (args.size() - i != wanted) return UsageError("wrong number of arguments");
  options.file = std::string(args[i]);
  if (!options.update_plain_text) options.user = std::string(args[i + 1]);
  if (options.batch) options.password = std::string(args[i + 2]);
  return options;
}

// Echo off on the terminal for as long as this lives, and back on if the user interrupts.
termios saved_terminal;
bool terminal_saved = false;

void RestoreTerminal() {
  if (terminal_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
}

void RestoreTerminalAndExit(int) {
  RestoreTerminal();
  _exit(130);
}

std::optional<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Echo goes off before the prompt appears, so that nothing typed after seeing it is echoed.
std::optional<std::string> PromptWithoutEcho(const char* prompt) {
  termios quiet{};
  if (tcgetattr(STDIN_FILENO, &saved_terminal) == 0) {
    terminal_saved = true;
    quiet = saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    std::signal(SIGINT, RestoreTerminalAndExit);
    std::signal(SIGTERM, RestoreTerminalAndExit);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::cerr << prompt << std::flush;
  std::optional<std::string> line = ReadLine();
  RestoreTerminal();
  terminal_saved = false;
  return line;
}

absl::StatusOr<std::string> ReadPassword() {
  std::optional<std::string> first;
  std::optional<std::string> second;
  if (isatty(STDIN_FILENO)) {
    first = PromptWithoutEcho("Password: ");
    if (first) second = PromptWithoutEcho("Reenter password: ");
    if (!second) return absl::InvalidArgumentError("no password given");
  } else {
    first = ReadLine();
    if (!first) return absl::InvalidArgumentError("no password on stdin");
    second = ReadLine();
  }
  if (second && *second != *first) return absl::InvalidArgumentError("passwords do not match");
  if (first->empty()) return absl::InvalidArgumentError("empty password");
  return *first;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  return text;
}

// The path to replace: an existing file's real path, so that a symlinked password file has its
// target replaced rather than the link.
std::string ResolvedPath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string result(resolved);
  std::free(resolved);
  return result;
}

absl::Status WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t wrote = write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return absl::InternalError(std::strerror(errno));
    text.remove_prefix(static_cast<size_t>(wrote));
  }
  return absl::OkStatus();
}

// A new file is 0600. A replaced one keeps its owner, group and permissions, less any for others:
// an operator who made it readable by the broker's group (root:mosquitto 0640) must not find the
// broker locked out after an edit, and a password file is never world-readable.
absl::Status SetOwnerAndMode(int fd, const std::string& target) {
  struct stat existing {};
  mode_t mode = S_IRUSR | S_IWUSR;
  if (stat(target.c_str(), &existing) == 0) {
    if (fchown(fd, existing.st_uid, existing.st_gid) != 0 && errno != EPERM) {
      return absl::InternalError(std::strerror(errno));
    }
    mode = (existing.st_mode & (S_IRWXU | S_IRWXG)) | S_IRUSR | S_IWUSR;
  }
  if (fchmod(fd, mode) != 0) return absl::InternalError(std::strerror(errno));
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view text) {
  std::string target = ResolvedPath(path);
  std::string temporary = target + ".XXXXXX";
  int fd = mkstemp(temporary.data());
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", std::strerror(errno)));
  absl::Status written = WriteAll(fd, text);
  if (written.ok()) written = SetOwnerAndMode(fd, target);
  if (written.ok() && fsync(fd) != 0) written = absl::InternalError(std::strerror(errno));
  if (close(fd) != 0 && written.ok()) written = absl::InternalError(std::strerror(errno));
  if (written.ok() && rename(temporary.c_str(), target.c_str()) != 0) {
    written = absl::InternalError(std::strerror(errno));
  }
  if (!written.ok()) {
    unlink(temporary.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", target, ": ", written.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashLine(const Options& options, std::string_view user, std::string_view password) {
  if (password.size() > kMaxPasswordSize) return absl::InvalidArgumentError("password longer than 65535 bytes");
  std::vector<uint8_t> salt(kSaltSize);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return absl::InternalError("no random bytes for the salt");
  }
  if (options.scheme == PasswordScheme::kPbkdf2Sha512) {
    return HashPasswordLine(user, password, options.iterations, salt);
  }
  PasswordHash hash;
  hash.scheme = PasswordScheme::kSha512;
  hash.iterations = 1;
  hash.salt = salt;
  hash.digest = ComputePasswordDigest(hash.scheme, 1, salt, password);
  return absl::StrCat(absl::string_view(user.data(), user.size()), ":", hash.Format());
}

absl::StatusOr<std::string> HashPlainTextFile(const Options& options, std::string_view text) {
  absl::Status hash_error;
  absl::StatusOr<std::string> hashed =
      HashPlainTextLines(text, [&](std::string_view user, std::string_view password) {
        absl::StatusOr<std::string> line = HashLine(options, user, password);
        if (!line.ok()) {
          hash_error.Update(line.status());
          return std::string();
        }
        return *std::move(line);
      });
  if (!hash_error.ok()) return hash_error;
  return hashed;
}

// The new text of the file.
absl::StatusOr<std::string> EditedText(const Options& options) {
  if (options.update_plain_text) {
    absl::StatusOr<std::string> text = ReadFile(options.file);
    if (!text.ok()) return text.status();
    return HashPlainTextFile(options, *text);
  }
  if (absl::Status valid = ValidatePasswordFileUser(options.user); !valid.ok()) return valid;
  std::string existing;
  if (!options.create) {
    absl::StatusOr<std::string> text = ReadFile(options.file);
    if (!text.ok()) return text.status();
    existing = *std::move(text);
  }
  if (options.remove) return DeleteUser(existing, options.user);
  std::string password;
  if (options.password) {
    password = *options.password;
  } else {
    absl::StatusOr<std::string> typed = ReadPassword();
    if (!typed.ok()) return typed.status();
    password = *std::move(typed);
  }
  absl::StatusOr<std::string> line = HashLine(options, options.user, password);
  if (!line.ok()) return line.status();
  return SetUserLine(existing, options.user, *line);
}

int Run(const std::vector<std::string_view>& args) {
  if (args.empty()) {
    PrintUsage();
    return 1;
  }
  absl::StatusOr<Options> options = ParseArguments(args);
  if (!options.ok()) {
    std::cerr << "ringmq-passwd: " << options.status().message() << "\n\n";
    PrintUsage();
    return 1;
  }
  if (options->scheme == PasswordScheme::kSha512) {
    std::cerr << "ringmq-passwd: warning: -H sha512 writes one round of SHA-512 ($6$), cheap to "
                 "brute-force; kept only for old tools\n";
  }
  absl::StatusOr<std::string> text = EditedText(*options);
  if (!text.ok()) {
    std::cerr << "ringmq-passwd: " << text.status().message() << "\n";
    return 1;
  }
  if (absl::Status written = WriteFileAtomically(options->file, *text); !written.ok()) {
    std::cerr << "ringmq-passwd: " << written.message() << "\n";
    return 1;
  }
  // Lines the tool kept as they were may still be ones ringmq refuses: say so now, not at start-up.
  if (absl::StatusOr<PasswordFile> check = PasswordFile::Parse(*text); !check.ok()) {
    std::cerr << "ringmq-passwd: warning: ringmq will refuse " << options->file << ": "
              << check.status().message() << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace ringmq

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return ringmq::Run(args);
}
