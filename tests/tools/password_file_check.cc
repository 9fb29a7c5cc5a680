// A test helper for tests/integration/test_passwd_tool.py: reads a password file with PasswordFile
// and answers, for each "user<TAB>password" line on stdin, "accepted" or "refused". Exit status 2 and
// the parse error on stderr when the file is refused.
//
//   build/tests/tools/password_file_check FILE < pairs
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "core/password_file.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: password_file_check FILE < user<TAB>password lines\n";
    return 1;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot open " << argv[1] << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ringmq::PasswordFile> file = ringmq::PasswordFile::Parse(text.str());
  if (!file.ok()) {
    std::cerr << file.status().message() << "\n";
    return 2;
  }
  std::cout << "users " << file->size() << "\n";
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    bool accepted = file->Verify(line.substr(0, tab), line.substr(tab + 1));
    std::cout << (accepted ? "accepted" : "refused") << "\n";
  }
  return 0;
}
