// SPDX-License-Identifier: BSD-2-Clause
// Shared text conversions of nfdump-style output (see flow/format_util.h). Hand-written
// integer and date formatting keeps the per-record path free of printf-family calls; the
// rare scaled values (>= 1 000 000) go through fmt into a stack array.
#include "flow/format_util.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace flow::output {

namespace {

// Names nfdump 1.7.1 prints for protocol numbers 0..137 (observed with %pr); 138 and above
// print as numbers. The entries "0", "99", "128" and "134" are numbers in nfdump's table too.
constexpr std::string_view kProtoNames[] = {
    "0",     "ICMP",  "IGMP",  "GGP",   "IPIP",  "ST",    "TCP",   "CBT",   "EGP",   "IGP",
    "BBN",   "NVPII", "PUP",   "ARGUS", "ENCOM", "XNET",  "CHAOS", "UDP",   "MUX",   "DCN",
    "HMP",   "PRM",   "XNS",   "Trnk1", "Trnk2", "Leaf1", "Leaf2", "RDP",   "IRTP",  "ISO-4",
    "NETBK", "MFESP", "MEINP", "DCCP",  "3PC",   "IDPR",  "XTP",   "DDP",   "IDPR",  "TP++",
    "IL",    "IPv6",  "SDRP",  "Rte6",  "Frag6", "IDRP",  "RSVP",  "GRE",   "MHRP",  "BNA",
    "ESP",   "AH",    "INLSP", "SWIPE", "NARP",  "MOBIL", "TLSP",  "SKIP",  "ICMP6", "NOHE6",
    "OPTS6", "HOST",  "CFTP",  "NET",   "SATNT", "KLAN",  "RVD",   "IPPC",  "FS",    "SATM",
    "VISA",  "IPCV",  "CPNX",  "CPHB",  "WSN",   "PVP",   "BSATM", "SUNND", "WBMON", "WBEXP",
    "ISOIP", "VMTP",  "SVMTP", "VINES", "TTP",   "NSIGP", "DGP",   "TCF",   "EIGRP", "OSPF",
    "S-RPC", "LARP",  "MTP",   "AX.25", "OS",    "MICP",  "SCCSP", "ETHIP", "ENCAP", "99",
    "GMTP",  "IFMP",  "PNNI",  "PIM",   "ARIS",  "SCPS",  "QNX",   "A/N",   "IPcmp", "SNP",
    "CpqPP", "IPXIP", "VRRP",  "PGM",   "0hop",  "L2TP",  "DDX",   "IATP",  "STP",   "SRP",
    "UTI",   "SMP",   "SM",    "PTP",   "ISIS4", "FIRE",  "CRTP",  "CRUDP", "128",   "IPLT",
    "SPS",   "PIPE",  "SCTP",  "FC",    "134",   "MHEAD", "UDP-L", "MPLS",
};
constexpr size_t kNamedProtos = sizeof(kProtoNames) / sizeof(kProtoNames[0]);

// Names of the unnamed protocols, built once: the number left-aligned in five columns
// ("138  "), which is what nfdump 1.7.1 prints wherever it prints a protocol name (csv `pr`,
// raw, statistics), not only in the padded listing columns.
struct NumberNames {
    char text[256][6];
    NumberNames() {
        for (int i = 0; i < 256; ++i) {
            char* p = text[i];
            if (i >= 100) *p++ = static_cast<char>('0' + i / 100);
            if (i >= 10) *p++ = static_cast<char>('0' + i / 10 % 10);
            *p++ = static_cast<char>('0' + i % 10);
            while (p < text[i] + 5) *p++ = ' ';
            *p = '\0';
        }
    }
};
const NumberNames kNumberNames;

size_t PutUint(uint64_t v, char* out) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    return n;
}

void Put2(int v, char* out) {
    out[0] = static_cast<char>('0' + v / 10 % 10);
    out[1] = static_cast<char>('0' + v % 10);
}

// Local broken-down time of `seconds`, cached per second in a small direct-mapped table:
// records of one file mostly share few seconds, and localtime_r is by far the slowest step
// of a line. More than one entry, because a record's first, last and received times often
// fall in different seconds and would evict one another from a single entry.
struct TimeCache {
    int64_t seconds = INT64_MIN;
    char text[32];  // "YYYY-MM-DD HH:MM:SS"
    size_t len = 0;
};

size_t FormatSecondsUncached(int64_t seconds, char* out) {
    time_t t = static_cast<time_t>(seconds);
    struct tm tm;
    if (localtime_r(&t, &tm) == nullptr) {
        // Only for times far beyond any calendar; nfdump would print garbage here.
        std::memcpy(out, "0000-00-00 00:00:00", 19);
        return 19;
    }
    char* p = out;
    int64_t year = static_cast<int64_t>(tm.tm_year) + 1900;
    if (year >= 0 && year < 10000) {
        p[0] = static_cast<char>('0' + year / 1000);
        p[1] = static_cast<char>('0' + year / 100 % 10);
        p[2] = static_cast<char>('0' + year / 10 % 10);
        p[3] = static_cast<char>('0' + year % 10);
        p += 4;
    } else {
        p += fmt::format_to_n(p, 20, "{}", year).size;
    }
    *p++ = '-';
    Put2(tm.tm_mon + 1, p);
    p[2] = '-';
    Put2(tm.tm_mday, p + 3);
    p[5] = ' ';
    Put2(tm.tm_hour, p + 6);
    p[8] = ':';
    Put2(tm.tm_min, p + 9);
    p[11] = ':';
    Put2(tm.tm_sec, p + 12);
    return static_cast<size_t>(p + 14 - out);
}

size_t FormatSecondsCached(int64_t seconds, char* out) {
    constexpr size_t kEntries = 16;
    thread_local TimeCache caches[kEntries];
    TimeCache& cache = caches[static_cast<uint64_t>(seconds) % kEntries];
    if (cache.seconds != seconds) {
        cache.len = FormatSecondsUncached(seconds, cache.text);
        cache.seconds = seconds;
    }
    std::memcpy(out, cache.text, cache.len);
    return cache.len;
}

// x86's float-to-int conversion: out-of-range values give INT_MIN. nfdump's duration code
// relies on it for negative (wrapped) durations, so the result is reproduced here.
int32_t TruncToInt32(double v) {
    if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
    return static_cast<int32_t>(v);
}

// int * int in 32-bit two's complement, as C computes it on the platforms nfdump runs on.
int32_t MulWrap(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

// "%*.1f" of f / unit as printf prints it, for an integer-valued f >= unit, without printf:
// the rounding digit comes from integer arithmetic; exact ties of the decimal quotient
// are settled by the side of the tie the double quotient lies on (printf rounds the binary
// value, ties to even).
size_t FormatTenths(double f, double unit, int width, char* out) {
    if (f >= 9007199254740992.0) {  // 2^53: integers no longer exact; rare, ask printf
        int n = std::snprintf(out, kTextSize, "%*.1f", width, f / unit);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }
    double step = unit / 10;
    double rem = std::fmod(f, step);
    auto tenths = static_cast<uint64_t>((f - rem) / step);
    double half = step / 2;
    if (rem > half) {
        ++tenths;
    } else if (rem == half) {
        double q = f / unit;
        double err = std::fma(q, unit, -f);  // exact: sign of q - f/unit
        if (err > 0 || (err == 0 && (tenths & 1))) ++tenths;
    }
    char digits[24];
    size_t n = PutUint(tenths / 10, digits);
    digits[n++] = '.';
    digits[n++] = static_cast<char>('0' + tenths % 10);
    size_t pad = static_cast<size_t>(width) > n ? static_cast<size_t>(width) - n : 0;
    std::memset(out, ' ', pad);
    std::memcpy(out + pad, digits, n);
    return pad + n;
}

// IPv6 text as glibc's inet_ntop writes it (tests/unit/output compare the two): lower-case
// hex groups without leading zeros; the first longest run of two or more zero groups as
// "::"; "::a.b.c.d" and "::ffff:a.b.c.d" for IPv4-compatible and -mapped addresses.
size_t FormatIp6(const IpAddr& addr, char* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint16_t words[8];
    for (int i = 0; i < 4; ++i) {
        words[i] = static_cast<uint16_t>(addr.hi >> (48 - 16 * i));
        words[4 + i] = static_cast<uint16_t>(addr.lo >> (48 - 16 * i));
    }

    int best = -1;
    int best_len = 0;
    for (int i = 0; i < 8;) {
        if (words[i] != 0) {
            ++i;
            continue;
        }
        int start = i;
        while (i < 8 && words[i] == 0) ++i;
        if (i - start > best_len) {
            best = start;
            best_len = i - start;
        }
    }
    if (best_len < 2) best = -1;

    char* p = out;
    for (int i = 0; i < 8; ++i) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) *p++ = ':';
            continue;
        }
        if (i != 0) *p++ = ':';
        if (i == 6 && best == 0 &&
            (best_len == 6 || (best_len == 7 && words[7] != 1) ||
             (best_len == 5 && words[5] == 0xffff))) {
            uint32_t v4 = static_cast<uint32_t>(addr.lo);
            for (int shift = 24; shift >= 0; shift -= 8) {
                p += PutUint((v4 >> shift) & 0xff, p);
                if (shift != 0) *p++ = '.';
            }
            return static_cast<size_t>(p - out);
        }
        unsigned w = words[i];
        if (w >= 0x1000) *p++ = kHex[w >> 12];
        if (w >= 0x100) *p++ = kHex[(w >> 8) & 0xf];
        if (w >= 0x10) *p++ = kHex[(w >> 4) & 0xf];
        *p++ = kHex[w & 0xf];
    }
    if (best >= 0 && best + best_len == 8) *p++ = ':';
    return static_cast<size_t>(p - out);
}

}  // namespace

size_t FormatCounter(uint64_t value, bool plain, bool fixed, char* out) {
    constexpr double kMega = 1000.0 * 1000.0;
    constexpr double kGiga = kMega * 1000.0;
    constexpr double kTera = kGiga * 1000.0;
    if (plain) return PutUint(value, out);

    double f = static_cast<double>(value);
    if (f < kMega) {
        // "%4.0f" of an integer below one million is the integer padded to 4.
        size_t n = PutUint(value, out);
        if (!fixed || n >= 4) return n;
        size_t pad = 4 - n;
        std::memmove(out + pad, out, n);
        std::memset(out, ' ', pad);
        return 4;
    }

    double unit_size = kMega;
    char unit = 'M';
    if (f >= kTera) {
        unit_size = kTera;
        unit = 'T';
    } else if (f >= kGiga) {
        unit_size = kGiga;
        unit = 'G';
    }
    size_t n = FormatTenths(f, unit_size, fixed ? 5 : 0, out);
    out[n++] = ' ';
    out[n++] = unit;
    return n;
}

size_t FormatThousandths(uint64_t value, char* out) {
    // Below 1e15 the double value / 1000.0 is within 0.0002 of the exact quotient, so
    // printf's rounding to three decimals gives the exact digits; above, ask printf.
    if (value >= 1000000000000000ull) {
        int n = std::snprintf(out, kTextSize, "%.3f", static_cast<double>(value) / 1000.0);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }
    size_t n = PutUint(value / 1000, out);
    uint64_t frac = value % 1000;
    out[n] = '.';
    out[n + 1] = static_cast<char>('0' + frac / 100);
    out[n + 2] = static_cast<char>('0' + frac / 10 % 10);
    out[n + 3] = static_cast<char>('0' + frac % 10);
    return n + 4;
}

size_t FormatDuration(uint64_t ms, char* out) {
    // nfdump computes in double seconds and int fields; a "negative" duration (last before
    // first) wraps to ~1.8e16 s, overflows every int and prints the whole value as seconds.
    double d = static_cast<double>(ms) / 1000.0;
    int32_t days = TruncToInt32(d / 86400);
    double rest = d - MulWrap(days, 86400);
    int32_t hours = TruncToInt32(rest / 3600);
    rest -= MulWrap(hours, 3600);
    int32_t minutes = TruncToInt32(rest / 60);
    double seconds = rest - MulWrap(minutes, 60);

    if (ms < 86400000ull) {
        // Common case by hand: "    HH:MM:SS.mmm".
        uint64_t s = ms / 1000;
        char* p = out;
        std::memcpy(p, "    ", 4);
        Put2(static_cast<int>(s / 3600), p + 4);
        p[6] = ':';
        Put2(static_cast<int>(s / 60 % 60), p + 7);
        p[9] = ':';
        Put2(static_cast<int>(s % 60), p + 10);
        p[12] = '.';
        uint64_t frac = ms % 1000;
        p[13] = static_cast<char>('0' + frac / 100);
        p[14] = static_cast<char>('0' + frac / 10 % 10);
        p[15] = static_cast<char>('0' + frac % 10);
        return 16;
    }
    auto r = fmt::format_to_n(out, kTextSize - 1, "{:2d}d {:02d}:{:02d}:{:06.3f}", days, hours,
                              minutes, seconds);
    return r.size;
}

size_t FormatLocalTime(uint64_t ms, bool with_ms, char sep, char* out) {
    size_t n = FormatSecondsCached(static_cast<int64_t>(ms / 1000), out);
    out[n - 9] = sep;  // before "HH:MM:SS"; years past 9999 make the date longer
    if (!with_ms) return n;
    uint64_t frac = ms % 1000;
    out[n] = '.';
    out[n + 1] = static_cast<char>('0' + frac / 100);
    out[n + 2] = static_cast<char>('0' + frac / 10 % 10);
    out[n + 3] = static_cast<char>('0' + frac % 10);
    return n + 4;
}

size_t FormatLocalSeconds(int64_t seconds, char* out) { return FormatSecondsCached(seconds, out); }

size_t FormatIp(const IpAddr& addr, bool v6, char* out) {
    if (!v6) {
        uint32_t a = addr.v4();
        char* p = out;
        for (int shift = 24; shift >= 0; shift -= 8) {
            p += PutUint((a >> shift) & 0xff, p);
            if (shift != 0) *p++ = '.';
        }
        return static_cast<size_t>(p - out);
    }
    return FormatIp6(addr, out);
}

size_t FormatIpShort(const IpAddr& addr, bool v6, char* out) {
    size_t n = FormatIp(addr, v6, out);
    if (!v6 || n <= 16) return n;
    // first 7 + ".." + last 7
    std::memmove(out + 9, out + n - 7, 7);
    out[7] = '.';
    out[8] = '.';
    return 16;
}

std::string_view ProtoName(uint8_t proto) {
    if (proto < kNamedProtos) return kProtoNames[proto];
    return kNumberNames.text[proto];
}

void FormatTcpFlags(uint8_t flags, char* out) {
    static constexpr char kLetters[] = "CEUAPRSF";
    for (int i = 0; i < 8; ++i) out[i] = (flags & (0x80 >> i)) ? kLetters[i] : '.';
}

size_t FormatMac(uint64_t mac, char* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    char* p = out;
    for (int shift = 40; shift >= 0; shift -= 8) {
        unsigned b = (mac >> shift) & 0xff;
        *p++ = kHex[b >> 4];
        *p++ = kHex[b & 0xf];
        if (shift != 0) *p++ = ':';
    }
    return 17;
}

}  // namespace flow::output
