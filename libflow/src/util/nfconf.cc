// SPDX-License-Identifier: BSD-2-Clause
// nfdump.conf lookup and reading, with cpptoml as the TOML parser.
#include "flow/nfconf.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <cpptoml.h>

namespace flow {

namespace {

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "path does not exist" / "not a regular file", as nfdump words them.
Status CheckFile(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return Status::InvalidArgument("path does not exist: " + path);
    }
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file: " + path);
    return Status::Ok();
}

// The entry `key` of `t`, or null (cpptoml's get() throws for a missing key).
std::shared_ptr<cpptoml::base> Entry(const cpptoml::table& t, const std::string& key) {
    return t.contains(key) ? t.get(key) : nullptr;
}

// cpptoml parses nested arrays and inline tables by recursion: a file nested thousands deep
// would overflow the stack. Counts the depth of [ and { outside strings and comments and
// refuses files nested deeper than any configuration needs, and files of over 1 MiB.
Status CheckShape(const std::string& text) {
    constexpr size_t kMaxBytes = size_t{1} << 20;
    constexpr int kMaxDepth = 32;
    if (text.size() > kMaxBytes) return Status::InvalidArgument("larger than 1 MiB");
    int depth = 0;
    int line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
        } else if (c == '#') {
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        } else if (c == '"' || c == '\'') {
            // A string: basic ("...", escapes) or literal ('...'), either of them tripled
            // to span lines.
            const bool triple = text.compare(i, 3, std::string(3, c)) == 0;
            const std::string close = triple ? std::string(3, c) : std::string(1, c);
            i += close.size();
            while (i < text.size() && text.compare(i, close.size(), close) != 0) {
                if (text[i] == '\n') ++line;
                if (c == '"' && text[i] == '\\') ++i;
                ++i;
            }
            i += close.size() - 1;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) {
                return Status::InvalidArgument("nested deeper than " + std::to_string(kMaxDepth) +
                                               " at line " + std::to_string(line));
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return Status::Ok();
}

Status ReadFormats(const cpptoml::table& nfdump, NfConf* conf) {
    std::shared_ptr<cpptoml::base> fmt = Entry(nfdump, "fmt");
    if (fmt == nullptr) return Status::Ok();
    if (!fmt->is_table()) return Status::InvalidArgument("fmt must be a table of formats");
    for (const auto& [key, value] : *fmt->as_table()) {
        std::shared_ptr<cpptoml::value<std::string>> text = value->as<std::string>();
        if (text == nullptr) return Status::InvalidArgument("fmt." + key + " must be a string");
        conf->formats.push_back({Lower(key), text->get()});
    }
    std::sort(conf->formats.begin(), conf->formats.end(),
              [](const output::UserFormat& a, const output::UserFormat& b) {
                  return a.name < b.name;
              });
    for (size_t i = 1; i < conf->formats.size(); ++i) {
        if (conf->formats[i].name == conf->formats[i - 1].name) {
            return Status::InvalidArgument("two formats named " + conf->formats[i].name +
                                           " (names are compared without case)");
        }
    }
    return Status::Ok();
}

Status ReadExporters(const cpptoml::table& nfcapd, NfConf* conf) {
    for (const auto& [key, value] : nfcapd) {
        if (key != "exporter") {
            conf->other_nfcapd_keys.push_back(key);
            continue;
        }
        if (!value->is_table()) {
            conf->other_nfcapd_keys.push_back(key);
            continue;
        }
        for (const auto& [ident, entry] : *value->as_table()) {
            const std::string what = "exporter." + ident;
            std::shared_ptr<cpptoml::array> items = entry->as_array();
            const auto strings = items != nullptr ? items->get_array_of<std::string>()
                                                  : cpptoml::option<std::vector<std::string>>();
            if (!strings || strings->size() != 2) {
                return Status::InvalidArgument("the value of '" + what +
                                               "' must be [\"IP\", \"dir\"]");
            }
            conf->exporters.push_back({ident, (*strings)[0], (*strings)[1]});
        }
    }
    std::sort(conf->exporters.begin(), conf->exporters.end(),
              [](const ConfExporter& a, const ConfExporter& b) { return a.ident < b.ident; });
    return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultNfConfPaths() {
    return {"/etc/nfdump.conf", "/usr/local/etc/nfdump.conf"};
}

Result<std::string> LocateNfConf(std::string_view option, const char* env) {
    if (option == "none") return std::string();
    std::string named(option);
    if (named.empty() && env != nullptr) named = env;
    if (!named.empty()) {
        Status st = CheckFile(named);
        if (!st.ok()) return st;
        return named;
    }
    for (const std::string& path : DefaultNfConfPaths()) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return path;
    }
    return std::string();
}

Result<NfConf> ReadNfConf(const std::string& path) {
    Status st = CheckFile(path);
    if (!st.ok()) return st;
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return Status::InvalidArgument("Failed to parse config file " + path +
                                       ": cannot be read");
    }
    return ParseNfConf(text, path);
}

Result<NfConf> ParseNfConf(const std::string& text, const std::string& path) {
    NfConf conf;
    conf.path = path;
    Status st = CheckShape(text);
    try {
        if (st.ok()) {
            std::istringstream stream(text);
            cpptoml::parser parser(stream);
            std::shared_ptr<cpptoml::table> root = parser.parse();
            if (std::shared_ptr<cpptoml::base> t = Entry(*root, "nfdump"); t && t->is_table()) {
                st = ReadFormats(*t->as_table(), &conf);
            }
            if (std::shared_ptr<cpptoml::base> t = Entry(*root, "nfcapd");
                st.ok() && t && t->is_table()) {
                st = ReadExporters(*t->as_table(), &conf);
            }
        }
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        st = Status::InvalidArgument(e.what());
    }
    if (!st.ok()) {
        return Status::InvalidArgument("Failed to parse config file " + path + ": " +
                                       st.message());
    }
    return conf;
}

}  // namespace flow
