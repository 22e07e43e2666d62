// SPDX-License-Identifier: BSD-2-Clause
// flowcapd: the NetFlow v5/v9/IPFIX and sFlow v5 collector, taking nfcapd's and sfcapd's
// command lines (1.6 and 1.7 forms). This file parses options and daemonizes; collector.cc
// does the work.
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "collector.h"
#include "flow/nfconf.h"
#include "flow/nffile.h"

namespace {

const char kUsage[] =
    "usage flowcapd [options]\n"
    "-h\t\tthis text you see right here\n"
    "-u userid\tChange user to username\n"
    "-g groupid\tChange group to groupname\n"
    "-t interval\tset the interval to rotate files (default 300 s)\n"
    "-b host\t\tbind socket to host/IP addr\n"
    "-p portnum\tlisten on port portnum (default 9995; 6343 when started as sfcapd)\n"
    "-w flowdir\tset the output directory to store the flows (-l is the 1.6 form)\n"
    "-n Ident,IP,flowdir\tadd a flow source: datagrams from IP go to flowdir (repeatable)\n"
    "-M flowdir\tdynamic flow sources: a sub-directory per exporter IP in flowdir\n"
    "-R host[/port]\trepeat every datagram to host (default port 9995; up to 8)\n"
    "-J group\tjoin the multicast group and receive its datagrams (not with -b)\n"
    "-C file\t\tflow sources from the [nfcapd] exporter.<ident> lines of file\n"
    "-m socket\tsend flow metrics to the UNIX socket (nfcapd's layout)\n"
    "-i interval\tmetric interval in s (default 60, at least 10)\n"
    "--stats-file path\trewrite per-exporter counters to path each interval\n"
    "--prometheus addr:port\tserve the counters over HTTP (GET /metrics); loopback only\n"
    "--prometheus-allow-remote\tlet --prometheus take a non-loopback address\n"
    "-S subdir\tSub directory format 0..8. see flowcapd(8) for format\n"
    "-I Ident\tset the ident string for stat file. (default 'none')\n"
    "-P pidfile\tset the PID file\n"
    "-s rate\t\tset default sampling rate (default 1); -rate forces it\n"
    "-x process\tlaunch process after a new file becomes available\n"
    "-e\t\tExpire data at each cycle (limits from the directory's .nfstat).\n"
    "-z\t\tLZO compress flows in output file (-z=lzo|lz4|bz2|zstd[:level])\n"
    "-y\t\tLZ4 compress flows in output file.\n"
    "-j\t\tBZ2 compress flows in output file.\n"
    "-B bufflen\tSet socket buffer to bufflen bytes\n"
    "-f capture\tdecode the export datagrams of a pcap/pcapng file instead of listening\n"
    "-D\t\tFork to background\n"
    "-E\t\tPrint each decoded flow. For debugging purpose only.\n"
    "-v\t\tIncrease verbose level.\n"
    "-4\t\tListen on IPv4 only.\n"
    "-6\t\tListen on IPv6 only.\n"
    "-V\t\tPrint version and exit.\n"
    "-Z\t\tAdd timezone offset to filename.\n"
    "-r, -T list\taccepted and ignored, as by nfcapd 1.7\n";

void OnSignal(int) { flowcapd::g_stop = true; }
void OnReportSignal(int) { flowcapd::g_report = true; }

constexpr int kOptStatsFile = 1000;  // --stats-file (no short form: nfcapd has none)
constexpr int kOptPrometheus = 1001;
constexpr int kOptPrometheusRemote = 1002;

int Fail(const std::string& msg) {
    std::fprintf(stderr, "%s\n", msg.c_str());
    return 1;
}

bool ParseInt(const char* text, long min, long max, long* out) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
}

// The PID file this process wrote, held open from before -u/-g drop privileges: in a
// directory the collector may not write to after the drop (/run), it cannot be removed at
// exit, but it can still be emptied through this descriptor.
int g_pid_fd = -1;

// Whether process `pid` is a collector: its command name (/proc/<pid>/comm) is flowcapd or
// one of nfdump's collector names. True when /proc cannot tell.
bool IsCollector(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    if (!std::getline(in, comm)) return true;
    return comm == "flowcapd" || comm == "nfcapd" || comm == "sfcapd";
}

// Refuses to start when the PID file names a live collector (it is never signalled); a
// file naming a process that is no collector (its pid was reused after a crash) is stale.
// Otherwise writes our pid to a new file renamed over the old one, so a symlink or another
// file planted at that path is replaced, never written through.
bool WritePidFile(const std::string& path) {
    std::ifstream in(path);
    long old = 0;
    if (in >> old && old > 0 && ::kill(static_cast<pid_t>(old), 0) == 0 && old != ::getpid()) {
        if (IsCollector(old)) {
            std::fprintf(stderr, "another collector with pid %ld is running (PID file %s)\n", old,
                         path.c_str());
            return false;
        }
        std::fprintf(stderr, "PID file %s names pid %ld, which is no collector: replaced\n",
                     path.c_str(), old);
    }
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    const std::string text = std::to_string(::getpid()) + "\n";
    bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
    if (!ok) {
        std::fprintf(stderr, "cannot write PID file %s: %s\n", path.c_str(), std::strerror(errno));
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        return false;
    }
    g_pid_fd = fd;
    return true;
}

// -D: the daemon reports its start-up through a pipe. Until it is ready, everything it logs
// goes to syslog and into the pipe (as its stderr); then it writes kDaemonMark and the exit
// status digit, and the pipe is closed. The parent waits for that: it exits with the digit,
// or, when the pipe closes without it (start-up failed), prints what the daemon wrote and
// exits 1, as the collector does in the foreground.
constexpr char kDaemonMark = '\0';

int WaitForDaemon(int fd) {
    std::string text;
    char buf[4096];
    size_t mark = std::string::npos;
    while (mark == std::string::npos || mark + 1 >= text.size()) {
        const ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
        mark = text.find(kDaemonMark);
    }
    ::close(fd);
    if (mark != std::string::npos && mark + 1 < text.size() && text[mark + 1] == '0') return 0;
    std::fputs(text.substr(0, mark).c_str(), stderr);
    if (mark == std::string::npos && text.empty()) {
        std::fputs("flowcapd: the daemon exited during start-up\n", stderr);
    }
    return 1;
}

// In the daemon: start-up is over with exit status `rc`; stderr goes to /dev/null from now.
void ReportDaemonStart(int* fd, int rc) {
    if (*fd < 0) return;
    const char msg[2] = {kDaemonMark, static_cast<char>('0' + (rc == 0 ? 0 : 1))};
    (void)!::write(*fd, msg, sizeof(msg));
    flowcapd::EchoToStderr(false);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) {
        ::dup2(null_fd, 2);
        ::close(null_fd);
    }
    ::close(*fd);
    *fd = -1;
}

// Removes the PID file only while it still names this process; where its directory does
// not let this process remove it any more (privileges dropped), empties it instead, which
// the next start takes for no collector.
void RemovePidFile(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid == ::getpid() && ::unlink(path.c_str()) != 0 && g_pid_fd >= 0) {
        if (::ftruncate(g_pid_fd, 0) != 0) {
            flowcapd::Log(LOG_WARNING,
                          "PID file " + path + " left behind: " + std::strerror(errno));
        }
    }
    if (g_pid_fd >= 0) ::close(g_pid_fd);
    g_pid_fd = -1;
}

// Makes `dir` absolute into `out`; false (after the message nfcapd prints) when it is not
// an existing directory.
bool ResolveDir(const std::string& dir, std::string* out) {
    char real[PATH_MAX];
    if (::realpath(dir.c_str(), real) == nullptr) {
        std::fprintf(stderr, "path does not exist: %s\nNo valid directory: %s\n", dir.c_str(),
                     dir.c_str());
        return false;
    }
    struct stat st;
    if (::stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "No valid directory: %s\n", dir.c_str());
        return false;
    }
    *out = real;
    return true;
}

// An ident is printed on a line of its own (flowdump -I, the log): a newline or any other
// control character in it could forge further lines, so it is refused.
bool HasControlChar(const std::string& text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

// -n ident,IP,dir. The directory is resolved later; it may itself hold commas.
bool ParseSource(const std::string& text, flowcapd::SourceSpec* out) {
    const size_t c1 = text.find(',');
    const size_t c2 = c1 == std::string::npos ? c1 : text.find(',', c1 + 1);
    if (c2 == std::string::npos) {
        Fail("ERROR, -n '" + text + "': expected ident,IP,flowdir");
        return false;
    }
    out->ident = text.substr(0, c1);
    const std::string ip = text.substr(c1 + 1, c2 - c1 - 1);
    out->dir = text.substr(c2 + 1);
    if (out->ident.empty() || out->ident.size() > flow::kMaxIdentLength) {
        Fail("ERROR, -n '" + text + "': ident must be 1.." + std::to_string(flow::kMaxIdentLength) +
             " characters");
        return false;
    }
    if (HasControlChar(out->ident)) {
        Fail("ERROR, -n: the ident may not hold control characters (newline, tab, ...)");
        return false;
    }
    if (out->dir.empty()) {
        Fail("ERROR, -n '" + text + "': empty flow directory");
        return false;
    }
    in_addr a4;
    in6_addr a6;
    if (::inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
        out->address = flow::wire::Endpoint::V4(ntohl(a4.s_addr));
    } else if (::inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
        out->address = flow::wire::Endpoint::V6(a6.s6_addr);
    } else {
        Fail("ERROR, -n '" + text + "': '" + ip + "' is not an IPv4 or IPv6 address");
        return false;
    }
    return true;
}

// -J takes a numeric group address: 224.0.0.0/4 or ff00::/8.
bool IsMulticast(const char* text) {
    in_addr a4;
    in6_addr a6;
    if (::inet_pton(AF_INET, text, &a4) == 1) return IN_MULTICAST(ntohl(a4.s_addr));
    return ::inet_pton(AF_INET6, text, &a6) == 1 && IN6_IS_ADDR_MULTICAST(&a6);
}

// -R host[/port]; the port defaults to 9995. The host is resolved when the collector starts.
bool ParseRepeater(const std::string& text, flowcapd::RepeaterSpec* out) {
    const size_t slash = text.rfind('/');
    out->host = text.substr(0, slash);
    out->port = "9995";
    long port = 0;
    if (slash != std::string::npos) {
        out->port = text.substr(slash + 1);
        if (!ParseInt(out->port.c_str(), 1, 65535, &port)) {
            Fail("ERROR, -R '" + text + "': port must be 1..65535");
            return false;
        }
    }
    if (out->host.empty()) {
        Fail("ERROR, -R '" + text + "': expected host[/port]");
        return false;
    }
    return true;
}

// Reads the flow sources of a -C file: the `exporter.<ident> = ["IP", "dir"]` entries of
// nfdump.conf's [nfcapd] table (flow/nfconf.h). Other tables (nfdump's formats) are not
// flowcapd's; other keys of [nfcapd] are refused, so that a typo is not silently lost.
// Appends to `sources`; false after printing what is wrong and where.
bool ReadConfigFile(const std::string& path, std::vector<flowcapd::SourceSpec>* sources) {
    auto conf = flow::ReadNfConf(path);
    if (!conf.ok()) {
        std::fprintf(stderr, "%s\n", conf.status().message().c_str());
        return false;
    }
    if (!conf->other_nfcapd_keys.empty()) {
        return Fail(path + ": [nfcapd] " + conf->other_nfcapd_keys.front() +
                    ": expected exporter.<ident> = [\"IP\", \"dir\"]") == 0;
    }
    for (const flow::ConfExporter& e : conf->exporters) {
        flowcapd::SourceSpec src;
        if (!ParseSource(e.ident + "," + e.address + "," + e.directory, &src)) {
            std::fprintf(stderr, "%s: in exporter.%s\n", path.c_str(), e.ident.c_str());
            return false;
        }
        sources->push_back(src);
    }
    return true;
}
}  // namespace

int main(int argc, char** argv) {
    // Flow files, PID file and directories are never group- or world-writable, whatever
    // umask the collector was started with.
    ::umask(::umask(0) | 022);
    flowcapd::Config config;
    // Started under sfcapd's name (a symlink, as packages install it), take sfcapd's default
    // port. Either name decodes NetFlow, IPFIX and sFlow alike.
    const char* slash = argc > 0 ? std::strrchr(argv[0], '/') : nullptr;
    const std::string program = slash != nullptr ? slash + 1 : (argc > 0 ? argv[0] : "");
    if (program == "sfcapd") config.port = "6343";
    bool compression_set = false;
    std::string dir;
    bool legacy_align = false;  // 1.6's valueless -w was given
    bool ident_set = false;
    std::string multicast_group;     // -J
    bool prometheus_remote = false;  // --prometheus-allow-remote

    // -z=NAME[:LEVEL] (nfcapd 1.7.3+) is not a getopt form; take it out first.
    std::vector<char*> args(argv, argv + argc);
    for (size_t i = 1; i < args.size(); ++i) {
        if (std::strncmp(args[i], "-z=", 3) != 0) continue;
        std::string spec = args[i] + 3;
        std::string name = spec.substr(0, spec.find(':'));
        auto codec = flow::ParseCodec(name);
        if (!codec.ok()) return Fail("Unknown compression '" + spec + "'");
        config.rotation.codec = *codec;
        if (spec.find(':') != std::string::npos) {
            long level = 0;
            if (!ParseInt(spec.c_str() + spec.find(':') + 1, 0, 22, &level)) {
                return Fail("Invalid compression level in '" + spec + "'");
            }
            config.rotation.codec_level = static_cast<int>(level);
        }
        compression_set = true;
        args.erase(args.begin() + static_cast<long>(i));
        --i;
    }
    int nargs = static_cast<int>(args.size());
    args.push_back(nullptr);

    static const option kLongOptions[] = {
        {"stats-file", required_argument, nullptr, kOptStatsFile},
        {"prometheus", required_argument, nullptr, kOptPrometheus},
        {"prometheus-allow-remote", no_argument, nullptr, kOptPrometheusRemote},
        {nullptr, 0, nullptr, 0},
    };
    int opt;
    while ((opt = ::getopt_long(nargs, args.data(),
                                "46B:b:C:DeEf:g:hI:i:jJ:l:m:M:n:p:P:rR:s:S:t:T:u:vVw:x:yzZ",
                                kLongOptions, nullptr)) != -1) {
        long v = 0;
        switch (opt) {
            case '4':
            case '6':
                if (config.family != 0)
                    return Fail("ERROR, Accepts only one protocol IPv4 or IPv6!");
                config.family = opt - '0';
                break;
            case 'B':
                if (!ParseInt(optarg, 1, INT_MAX, &v)) return Fail("Argument error for -B");
                config.rcvbuf_bytes = static_cast<int>(v);
                break;
            case 'b':
                config.bind_host = optarg;
                break;
            case 'D':
                config.daemonize = true;
                break;
            case 'E':
                config.print_records = true;
                break;
            case 'f':
                config.capture_file = optarg;
                break;
            case 'g':
                config.group = optarg;
                break;
            case 'h':
                std::fputs(kUsage, stdout);
                return 0;
            case 'I':
                if (std::strlen(optarg) > flow::kMaxIdentLength)
                    return Fail("Ident too long (at most " + std::to_string(flow::kMaxIdentLength) +
                                " bytes)");
                if (HasControlChar(optarg)) {
                    return Fail(
                        "ERROR, -I: the ident may not hold control characters "
                        "(newline, tab, ...)");
                }
                config.rotation.ident = optarg;
                ident_set = true;
                break;
            case 'w':
                // nfcapd 1.6's -w took no value ("align rotation to the interval"; the
                // directory was -l), and consoles such as Pandora still pass it:
                // `-w -t 1800 ... -l DIR`. A -w whose value is the next argv word and
                // starts with '-' is that flag: rotation is always aligned, so it is
                // dropped and the word is parsed again as an option. A directory whose
                // name starts with '-' is given as `-w ./-name`.
                if (optarg[0] == '-' && optarg[1] != '\0' && optind >= 2 &&
                    args[optind - 1] == optarg) {
                    legacy_align = true;
                    --optind;
                    break;
                }
                dir = optarg;
                break;
            case 'l':
                dir = optarg;
                break;
            case 'p':
                if (!ParseInt(optarg, 1, 65535, &v)) {
                    return Fail(std::string("Invalid port '") + optarg + "': expected 1..65535");
                }
                config.port = optarg;
                break;
            case 'P':
                config.pid_file = optarg;
                break;
            case 's':
                if (!ParseInt(optarg, -10000000, 10000000, &v) || v == 0) {
                    return Fail(std::string("Invalid sampling rate: ") + optarg);
                }
                config.decoder.default_sampling = static_cast<int32_t>(v);
                break;
            case 'S':
                if (!ParseInt(optarg, 0, 8, &v)) return Fail("-S takes a layout number 0..8");
                config.rotation.subdir_layout = static_cast<int>(v);
                break;
            case 't':
                if (!ParseInt(optarg, 0, 86400 * 7, &v)) {
                    return Fail(std::string("Invalid interval '") + optarg +
                                "': seconds 2..604800");
                }
                if (v < 2) return Fail("time interval < 2s not allowed");
                config.rotation.interval_s = static_cast<uint32_t>(v);
                break;
            case 'T':
                std::printf("Option -T no longer supported and ignored\n");
                break;
            case 'u':
                config.user = optarg;
                break;
            case 'v':
                ++config.verbose;
                break;
            case 'V':
                // Under the name it was started by (nfcapd, sfcapd), as nfcapd prints its own.
                std::printf("%s: Version: %s\n", program.empty() ? "flowcapd" : program.c_str(),
                            FLOWKIT_VERSION);
                return 0;
            case 'x':
                config.exec_command = optarg;
                break;
            case 'y':
            case 'z':
            case 'j':
                if (compression_set) {
                    return Fail(
                        "Use one compression: -z for LZO, -j for BZ2 or -y for LZ4 "
                        "compression");
                }
                compression_set = true;
                config.rotation.codec = opt == 'y'   ? flow::Codec::kLz4
                                        : opt == 'z' ? flow::Codec::kLzo
                                                     : flow::Codec::kBz2;
                break;
            case 'Z':
                config.rotation.zone_suffix = true;
                break;
            case 'r':
                break;  // sequence errors are always counted and reported
            case 'e':
                config.expire = true;
                break;
            case 'n': {
                flowcapd::SourceSpec src;
                if (!ParseSource(optarg, &src)) return 1;
                config.sources.push_back(src);
                break;
            }
            case 'M':
                config.dynamic_dir = optarg;
                break;
            case 'R': {
                if (config.repeaters.size() >= flowcapd::kMaxRepeaters) {
                    return Fail("Too many packet repeaters! Max: 8 repeaters allowed");
                }
                flowcapd::RepeaterSpec rep;
                if (!ParseRepeater(optarg, &rep)) return 1;
                config.repeaters.push_back(rep);
                break;
            }
            case kOptStatsFile:
                config.stats_file = optarg;
                break;
            case kOptPrometheus: {
                auto ep = flowcapd::ParsePrometheusEndpoint(optarg);
                if (!ep.ok()) return Fail("ERROR, " + ep.status().message());
                config.prometheus = *ep;
                break;
            }
            case kOptPrometheusRemote:
                prometheus_remote = true;
                break;
            case 'C':
                if (std::strcmp(optarg, "none") != 0 && !ReadConfigFile(optarg, &config.sources)) {
                    return 1;
                }
                break;
            case 'J':
                if (!IsMulticast(optarg)) {
                    return Fail(std::string("ERROR, -J '") + optarg +
                                "': not an IPv4 or IPv6 multicast address");
                }
                multicast_group = optarg;
                break;
            case 'm':
                // sockaddr_un holds 108 bytes with the final NUL.
                if (std::strlen(optarg) == 0 || std::strlen(optarg) >= 108) {
                    return Fail(std::string("ERROR, -m '") + optarg +
                                "': a UNIX socket path of 1..107 bytes");
                }
                config.metric_socket = optarg;
                break;
            case 'i':
                // nfcapd's wording for anything below 10, a word included (it reads 0).
                if (!ParseInt(optarg, LONG_MIN, LONG_MAX, &v) || v < 10) {
                    return Fail("metric interval < 10s not allowed");
                }
                // nfcapd takes any larger value (and ignores it); the message has 16 bits.
                if (v > 65535) {
                    flowcapd::Log(LOG_WARNING, std::string("metric interval ") + optarg +
                                                   " s above 65535 s: 65535 s used");
                    v = 65535;
                }
                config.metric_interval_s = static_cast<uint32_t>(v);
                break;
            default:
                std::fputs(kUsage, stdout);
                return 1;
        }
    }
    if (optind < nargs) {
        // nfcapd ignores such words; taken for what they look like they would be lost
        // silently (`-z lz4` compresses with LZO: -z takes its codec as -z=lz4).
        return Fail(std::string("unexpected argument '") + args[optind] +
                    "': flowcapd takes options and their values only (a codec goes with -z "
                    "as -z=lz4); see flowcapd -h");
    }
    if (!multicast_group.empty()) {
        if (!config.bind_host.empty()) return Fail("ERROR, -b and -J are mutually exclusive");
        config.bind_host = multicast_group;
        config.multicast = true;
    }
    const bool many = !config.sources.empty() || !config.dynamic_dir.empty();
    if (many && !dir.empty()) {
        return Fail(
            "ERROR, -n and -M define their own directories: do not mix them with -w "
            "or -l (IP specific and any-IP sources)");
    }
    if (!config.sources.empty() && !config.dynamic_dir.empty()) {
        return Fail("ERROR, -n and -M are mutually exclusive");
    }
    if (!many && dir.empty()) return Fail("ERROR, No source configurations found");
    if (!dir.empty() && !ResolveDir(dir, &config.rotation.dir)) return 1;
    if (!config.dynamic_dir.empty() && !ResolveDir(config.dynamic_dir, &config.dynamic_dir)) {
        return 1;
    }
    for (size_t i = 0; i < config.sources.size(); ++i) {
        flowcapd::SourceSpec& src = config.sources[i];
        if (!ResolveDir(src.dir, &src.dir)) return 1;
        for (size_t j = 0; j < i; ++j) {
            if (config.sources[j].address == src.address) {
                return Fail("ERROR, -n: IP " + src.address.ToString() + " given twice");
            }
            // Two writers in one directory would share the name nfcapd.current.<pid>.
            if (config.sources[j].dir == src.dir) {
                return Fail("ERROR, -n: directory '" + src.dir + "' given twice");
            }
        }
    }
    if (config.prometheus && !config.prometheus->loopback && !prometheus_remote) {
        // The endpoint has no authentication: exposing it beyond this host is a decision.
        return Fail("ERROR, --prometheus '" + config.prometheus->text +
                    "' is not a loopback address; add --prometheus-allow-remote to serve it "
                    "there (the endpoint has no authentication)");
    }
    if (!config.metric_socket.empty() && config.metric_interval_s > config.rotation.interval_s) {
        // Only with -m: the metric interval means nothing without a metric socket (nfcapd
        // 1.7.1 is silent then too).
        flowcapd::Log(LOG_WARNING, "metric interval " + std::to_string(config.metric_interval_s) +
                                       " > twin " + std::to_string(config.rotation.interval_s));
    }
    if (!config.metric_socket.empty() && !config.capture_file.empty()) {
        return Fail("ERROR, -m needs a listening collector, not -f");
    }
    if (config.prometheus && !config.capture_file.empty()) {
        return Fail("ERROR, --prometheus needs a listening collector, not -f");
    }
    if (config.expire && config.rotation.zone_suffix) {
        return Fail("ERROR, -Z timezone extension breaks expire -e");
    }

    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // nfcapd dies on SIGUSR1 and loses the current file; flowcapd logs its counters.
    struct sigaction usr1 {};
    usr1.sa_handler = OnReportSignal;
    ::sigaction(SIGUSR1, &usr1, nullptr);
    ::signal(SIGCHLD, SIG_IGN);  // -x children are reaped automatically

    if (many && ident_set) {
        // nfcapd accepts it too and stores each source's own ident.
        flowcapd::Log(LOG_WARNING, "-I ignored: -n and -M sources have their own idents");
    }
    if (legacy_align) {
        flowcapd::Log(LOG_INFO,
                      "-w without a directory (nfcapd 1.6 form) ignored: "
                      "files are always aligned to the interval");
    }
    for (const flowcapd::SourceSpec& src : config.sources) {
        flowcapd::Log(LOG_INFO, "Add flow source: ident: " + src.ident +
                                    ", IP: " + src.address.ToString() + ", flowdir: " + src.dir);
    }
    if (!config.dynamic_dir.empty()) {
        flowcapd::Log(LOG_INFO, "Dynamic flow sources in: " + config.dynamic_dir);
    }
    if (!many) {
        flowcapd::Log(LOG_INFO, "Add flow source: ident: " + config.rotation.ident +
                                    ", IP: any IP, flowdir: " + config.rotation.dir);
    }
    int ready_fd = -1;  // -D: the pipe to the waiting parent
    if (config.daemonize) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return Fail(std::string("pipe: ") + std::strerror(errno));
        pid_t pid = ::fork();
        if (pid < 0) return Fail(std::string("fork: ") + std::strerror(errno));
        if (pid > 0) {
            ::close(fds[1]);
            return WaitForDaemon(fds[0]);
        }
        ::close(fds[0]);
        ready_fd = fds[1];
        ::setsid();
        int null_fd = ::open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            ::dup2(null_fd, 0);
            ::dup2(null_fd, 1);
            if (null_fd > 2) ::close(null_fd);
        }
        ::dup2(ready_fd, 2);
        flowcapd::UseSyslog();
        flowcapd::EchoToStderr(true);
        config.on_started = [&ready_fd] { ReportDaemonStart(&ready_fd, 0); };
    }
    if (!config.pid_file.empty() && !WritePidFile(config.pid_file)) return 1;
    int rc = flowcapd::RunCollector(config);
    // -f with -D ends without on_started; a failed start-up just closes the pipe.
    if (rc == 0) ReportDaemonStart(&ready_fd, 0);
    if (!config.pid_file.empty()) RemovePidFile(config.pid_file);
    return rc;
}
