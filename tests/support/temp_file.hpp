// A file under the temporary directory holding given text (a config file for a herald under
// test), rewritten on demand and removed when the object goes. Header-only; one test thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace herald::test {

class temp_file {
public:
    explicit temp_file(const std::string& content, const std::string& stem = "herald-config") {
        static int n = 0;
        path_ = (std::filesystem::temp_directory_path() /
                 (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".json"))
                    .string();
        write(content);
    }
    ~temp_file() { std::filesystem::remove(path_); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    void write(const std::string& content) { std::ofstream(path_) << content; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace herald::test
