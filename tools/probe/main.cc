// SPDX-License-Identifier: BSD-2-Clause
// flowprobe: a packet-capture flow probe. It reads an interface or a capture file and
// exports the flows as NetFlow v5/v9/IPFIX (softflowd's and fprobe's command-line shapes) or
// writes them straight into nfdump files (nfpcapd's -l/-t). This file parses options.
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "probe.h"

namespace {

const char kUsage[] =
    "usage: flowprobe (-i [ifindex:]IFACE | -r FILE) (-n HOST:PORT ... | -l DIR) [options]\n"
    "                 [HOST:PORT] [BPF filter ...]\n"
    "-i iface\tcapture live on IFACE (optionally prefixed by the ifIndex to report)\n"
    "-r file\t\tread a pcap or pcapng file (time from the packets)\n"
    "-f filter\tBPF capture filter (or give it as the trailing arguments)\n"
    "-n host:port\texport to this collector; repeat or separate by commas ([v6]:port)\n"
    "-v version\tNetFlow version: 5 (default), 9 or 10 (IPFIX)\n"
    "-a, --active seconds\tactive timeout (default 1800)\n"
    "-e, --inactive seconds\tinactive timeout (default 15); -e ACTIVE,INACTIVE sets both\n"
    "-m flows\tmaximum flows in the cache (default 65536); the oldest is evicted\n"
    "-s N\t\tsample 1 out of N packets, announced in the export\n"
    "-x ifindex\tinput interface index to report (default: the interface's, 0 offline)\n"
    "-l dir\t\twrite nfdump files into DIR instead of exporting\n"
    "-t seconds\trotate files every SECONDS of packet time (default 300)\n"
    "-I ident\tident string stored in the files (default 'flowprobe')\n"
    "-y|-z|-j\tcompress files with LZ4, LZO or BZ2 (-z=lz4|lzo|bz2|zstd[:level])\n"
    "-S bytes\tsnap length of a live capture (default 256)\n"
    "-N\t\tdo not put the interface into promiscuous mode\n"
    "-u user\t\tchange to this user after opening the capture\n"
    "-g group\tchange to this group after opening the capture\n"
    "--source-id N\tv9 source id, IPFIX observation domain, v5 engine id (default 0)\n"
    "--template-refresh N\tsend v9/IPFIX templates every N datagrams (default 20)\n"
    "--template-timeout S\tand at least every S seconds (default 60)\n"
    "--pace-us N\toffline: pause N microseconds after each datagram (default 200)\n"
    "--verbose\tlog the configuration and file rotations\n"
    "-V\t\tprint the version and exit\n"
    "-h, --help\tthis text\n";

void OnSignal(int) { flowprobe::g_stop = true; }

int Fail(const std::string& msg) {
    std::fprintf(stderr, "flowprobe: %s\n", msg.c_str());
    return 1;
}

bool ParseUnsigned(const char* text, unsigned long min, unsigned long max, unsigned long* out) {
    char* end = nullptr;
    errno = 0;
    if (text[0] == '-') return false;
    const unsigned long v = std::strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
}

// "host:port", "[v6]:port". False when `text` does not have that shape, so a BPF word like
// "::1" or "tcp" is not taken for a collector.
bool ParseCollector(const std::string& text, flowprobe::Collector* out) {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
    std::string host = text.substr(0, colon);
    const std::string port = text.substr(colon + 1);
    unsigned long v = 0;
    if (!ParseUnsigned(port.c_str(), 1, 65535, &v)) return false;
    if (host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return false;
    }
    if (host.empty()) return false;
    *out = {host, port};
    return true;
}

bool AddCollectors(const std::string& list, flowprobe::Options* o) {
    size_t start = 0;
    while (start <= list.size()) {
        const size_t comma = list.find(',', start);
        const std::string one = list.substr(start, comma - start);
        flowprobe::Collector c;
        if (!ParseCollector(one, &c)) return false;
        o->collectors.push_back(c);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return true;
}

enum LongOnly { kSourceId = 256, kTemplateRefresh, kTemplateTimeout, kPace, kVerbose };

const option kLongOptions[] = {
    {"active", required_argument, nullptr, 'a'},
    {"inactive", required_argument, nullptr, 'e'},
    {"source-id", required_argument, nullptr, kSourceId},
    {"template-refresh", required_argument, nullptr, kTemplateRefresh},
    {"template-timeout", required_argument, nullptr, kTemplateTimeout},
    {"pace-us", required_argument, nullptr, kPace},
    {"verbose", no_argument, nullptr, kVerbose},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

}  // namespace

int main(int argc, char** argv) {
    flowprobe::Options o;
    bool compression_set = false;
    bool interval_set = false;
    unsigned long v = 0;

    int opt;
    while ((opt = ::getopt_long(argc, argv, "a:e:f:g:hI:i:jl:m:Nn:r:S:s:t:u:Vv:x:yz::",
                                kLongOptions, nullptr)) != -1) {
        switch (opt) {
            case 'a':
                if (!ParseUnsigned(optarg, 1, 86400 * 7, &v)) {
                    return Fail(std::string("invalid active timeout '") + optarg +
                                "': seconds 1..604800");
                }
                o.cache.active_timeout_s = static_cast<uint32_t>(v);
                break;
            case 'e': {
                std::string arg = optarg;
                const size_t comma = arg.find(',');
                if (comma != std::string::npos) {
                    if (!ParseUnsigned(arg.substr(0, comma).c_str(), 1, 86400 * 7, &v)) {
                        return Fail("invalid active timeout in -e '" + arg + "'");
                    }
                    o.cache.active_timeout_s = static_cast<uint32_t>(v);
                    arg = arg.substr(comma + 1);
                }
                if (!ParseUnsigned(arg.c_str(), 1, 86400 * 7, &v)) {
                    return Fail(std::string("invalid inactive timeout '") + optarg +
                                "': seconds 1..604800");
                }
                o.cache.inactive_timeout_s = static_cast<uint32_t>(v);
                break;
            }
            case 'f':
                o.filter = optarg;
                break;
            case 'g':
                o.group = optarg;
                break;
            case 'h':
                std::fputs(kUsage, stdout);
                return 0;
            case 'I':
                if (std::strlen(optarg) > flow::kMaxIdentLength) return Fail("ident too long");
                // The ident is printed on a line of its own (flowdump -I): a newline or other
                // control character would forge lines there, as flowcapd -I refuses too.
                for (const char* p = optarg; *p != '\0'; ++p) {
                    const auto c = static_cast<unsigned char>(*p);
                    if (c < 0x20 || c == 0x7f) {
                        return Fail("-I: the ident may not hold control characters "
                                    "(newline, tab, ...)");
                    }
                }
                o.ident = optarg;
                break;
            case 'i': {
                // One capture source: a second -i or -r would silently win over the first.
                if (!o.interface.empty()) return Fail("give -i once");
                std::string arg = optarg;
                const size_t colon = arg.find(':');
                if (colon != std::string::npos &&
                    ParseUnsigned(arg.substr(0, colon).c_str(), 1, UINT32_MAX, &v)) {
                    o.cache.input_if = static_cast<uint32_t>(v);
                    arg = arg.substr(colon + 1);
                }
                o.interface = arg;
                break;
            }
            case 'l':
                o.dir = optarg;
                break;
            case 'm':
                if (!ParseUnsigned(optarg, 1, 1u << 24, &v)) {
                    return Fail(std::string("invalid maximum flows '") + optarg + "': 1..16777216");
                }
                o.cache.max_flows = v;
                break;
            case 'N':
                o.promiscuous = false;
                break;
            case 'n':
                if (!AddCollectors(optarg, &o)) {
                    return Fail(std::string("invalid collector '") + optarg +
                                "': expected host:port or [IPv6]:port");
                }
                break;
            case 'r':
                if (!o.capture_file.empty()) return Fail("give -r once");
                o.capture_file = optarg;
                break;
            case 'S':
                if (!ParseUnsigned(optarg, 64, 262144, &v)) {
                    return Fail(std::string("invalid snap length '") + optarg + "': 64..262144");
                }
                o.snaplen = static_cast<int>(v);
                break;
            case 's':
                if (!ParseUnsigned(optarg, 1, 1u << 24, &v)) {
                    return Fail(std::string("invalid sampling rate '") + optarg + "'");
                }
                o.cache.sampling = static_cast<uint32_t>(v);
                break;
            case 't':
                if (!ParseUnsigned(optarg, 2, 86400 * 7, &v)) {
                    return Fail(std::string("invalid interval '") + optarg +
                                "': seconds 2..604800");
                }
                o.interval_s = static_cast<uint32_t>(v);
                interval_set = true;
                break;
            case 'u':
                o.user = optarg;
                break;
            case 'V':
                std::printf("flowprobe: Version: %s\n", FLOWKIT_VERSION);
                return 0;
            case 'v':
                if (!ParseUnsigned(optarg, 5, 10, &v) || (v != 5 && v != 9 && v != 10)) {
                    return Fail(std::string("unsupported NetFlow version '") + optarg +
                                "': 5, 9 or 10");
                }
                o.version = static_cast<uint16_t>(v);
                break;
            case 'x':
                if (!ParseUnsigned(optarg, 0, UINT32_MAX, &v)) {
                    return Fail(std::string("invalid interface index '") + optarg + "'");
                }
                o.cache.input_if = static_cast<uint32_t>(v);
                break;
            case 'y':
            case 'j':
            case 'z': {
                if (compression_set) return Fail("use one compression: -y, -z or -j");
                compression_set = true;
                std::string name = opt == 'y' ? "lz4" : opt == 'j' ? "bz2" : "lzo";
                // -z=NAME (nfcapd 1.7 form): getopt hands us "=NAME" as the optional value.
                if (opt == 'z' && optarg != nullptr) name = optarg[0] == '=' ? optarg + 1 : optarg;
                const std::string codec_name = name.substr(0, name.find(':'));
                auto codec = flow::ParseCodec(codec_name);
                if (!codec.ok()) return Fail("unknown compression '" + name + "'");
                o.codec = *codec;
                if (name.find(':') != std::string::npos) {
                    if (!ParseUnsigned(name.c_str() + name.find(':') + 1, 0, 22, &v)) {
                        return Fail("invalid compression level in '" + name + "'");
                    }
                    o.codec_level = static_cast<int>(v);
                }
                break;
            }
            case kSourceId:
                if (!ParseUnsigned(optarg, 0, UINT32_MAX, &v)) {
                    return Fail(std::string("invalid source id '") + optarg + "'");
                }
                o.source_id = static_cast<uint32_t>(v);
                break;
            case kTemplateRefresh:
                if (!ParseUnsigned(optarg, 1, 1000000, &v)) {
                    return Fail(std::string("invalid template refresh '") + optarg + "'");
                }
                o.template_every = static_cast<uint32_t>(v);
                break;
            case kTemplateTimeout:
                if (!ParseUnsigned(optarg, 1, 86400, &v)) {
                    return Fail(std::string("invalid template timeout '") + optarg + "'");
                }
                o.template_interval_s = static_cast<uint32_t>(v);
                break;
            case kPace:
                if (!ParseUnsigned(optarg, 0, 1000000, &v)) {
                    return Fail(std::string("invalid pace '") + optarg + "'");
                }
                o.pace_us = static_cast<uint32_t>(v);
                break;
            case kVerbose:
                ++o.verbose;
                break;
            default:
                std::fputs(kUsage, stderr);
                return 1;
        }
    }

    // fprobe's form: collectors first among the arguments, then the BPF filter words.
    int i = optind;
    for (flowprobe::Collector c; i < argc && ParseCollector(argv[i], &c); ++i) {
        o.collectors.push_back(c);
    }
    std::string trailing;
    for (; i < argc; ++i) trailing += (trailing.empty() ? "" : " ") + std::string(argv[i]);
    if (!trailing.empty()) {
        if (!o.filter.empty()) return Fail("give the filter once: -f or trailing arguments");
        o.filter = trailing;
    }

    if (o.interface.empty() == o.capture_file.empty()) {
        return Fail("give one capture source: -i interface or -r file");
    }
    if (o.collectors.empty() && o.dir.empty()) {
        return Fail("nowhere to send flows: give collectors (-n host:port) or a flow directory "
                    "(-l dir)");
    }
    if (!o.collectors.empty() && !o.dir.empty()) {
        return Fail("give collectors (-n host:port) or a flow directory (-l dir), not both");
    }
    if (interval_set && o.dir.empty()) return Fail("-t needs -l: it rotates nfdump files");
    if (compression_set && o.dir.empty()) return Fail("compression needs -l");
    if (o.version == 5 && o.cache.sampling > 0x3fff) {
        return Fail("NetFlow v5 carries a sampling interval up to 16383");
    }
    if (!o.dir.empty()) {
        struct stat st {};
        if (::stat(o.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            return Fail("no valid directory: '" + o.dir + "' (-l needs an existing directory)");
        }
    }

    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    return flowprobe::Run(o);
}
