// SPDX-License-Identifier: BSD-2-Clause
// Address word parsing and host name resolution for the filter compiler; see address.h.
#include "address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace flow::filter::detail {
namespace {

bool AllOf(std::string_view s, bool (*pred)(char)) {
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool IsDigitOrDot(char c) { return (c >= '0' && c <= '9') || c == '.'; }

bool IsHexDigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsV6Char(char c) { return IsHexDigit(c) || c == ':' || c == '.'; }

bool IsNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

// Dotted decimal with one to four parts. Fewer than four parts are padded with zero parts at
// the right ("192.168" = 192.168.0.0), as nfdump does for networks; callers that need a full
// address reject kV4Part with "incomplete IP address". Leading zeros are decimal, not octal
// (inet_aton would read "010" as 8).
ParsedAddr ParseV4(std::string_view word) {
    ParsedAddr out;
    uint32_t value = 0;
    int parts = 0;
    size_t start = 0;
    while (start <= word.size()) {
        size_t dot = word.find('.', start);
        std::string_view part = word.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty() || part.size() > 3 || parts == 4) return out;
        unsigned octet = 0;
        for (char c : part) octet = octet * 10 + static_cast<unsigned>(c - '0');
        if (octet > 255) return out;
        value = value << 8 | octet;
        ++parts;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    out.v4_parts = parts;
    out.addr = IpAddr::V4(parts == 4 ? value : value << (8 * (4 - parts)));
    out.kind = parts == 4 ? AddrKind::kV4 : AddrKind::kV4Part;
    return out;
}

ParsedAddr ParseV6(std::string_view word) {
    ParsedAddr out;
    std::string text(word);
    uint8_t bytes[16];
    if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
        out.kind = AddrKind::kV6;
        out.addr = IpAddr::V6(bytes);
        return out;
    }
    // "2001:db8" style: plain groups, no "::", fewer than eight; the rest is zero.
    if (text.find("::") != std::string::npos || text.find('.') != std::string::npos) return out;
    std::memset(bytes, 0, sizeof(bytes));
    int groups = 0;
    size_t start = 0;
    while (true) {
        size_t colon = text.find(':', start);
        std::string group =
            text.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (group.empty() || group.size() > 4 || groups >= 7) return out;
        unsigned v = static_cast<unsigned>(std::stoul(group, nullptr, 16));
        bytes[2 * groups] = static_cast<uint8_t>(v >> 8);
        bytes[2 * groups + 1] = static_cast<uint8_t>(v);
        ++groups;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    out.kind = AddrKind::kV6Part;
    out.addr = IpAddr::V6(bytes);
    return out;
}

}  // namespace

// Only digits and dots is an IPv4 attempt; a colon makes it IPv6; a letter first makes it a
// host name. Everything else is invalid, so a typo never turns into a DNS query.
ParsedAddr ParseAddressWord(std::string_view word) {
    if (AllOf(word, IsDigitOrDot)) return ParseV4(word);
    if (word.find(':') != std::string_view::npos) {
        if (AllOf(word, IsV6Char)) return ParseV6(word);
        return ParsedAddr{};
    }
    ParsedAddr out;
    bool letter_first = (word[0] >= 'a' && word[0] <= 'z') || (word[0] >= 'A' && word[0] <= 'Z');
    if (letter_first && AllOf(word, IsNameChar)) out.kind = AddrKind::kName;
    return out;
}

IpAddr PrefixMask(int bits) {
    IpAddr mask;
    if (bits <= 0) return mask;
    if (bits >= 64) {
        mask.hi = ~uint64_t{0};
        // A shift by 64 is undefined (x86 shifts by 0): /64 must leave the low half empty.
        if (bits >= 128) {
            mask.lo = ~uint64_t{0};
        } else if (bits > 64) {
            mask.lo = ~uint64_t{0} << (128 - bits);
        }
    } else {
        mask.hi = ~uint64_t{0} << (64 - bits);
    }
    return mask;
}

// SOCK_STREAM only de-duplicates the answer (one entry per address instead of one per
// socket type); no socket is opened.
bool ResolveHost(const std::string& name, std::vector<ParsedAddr>* out, std::string* error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
        *error = gai_strerror(rc);
        return false;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        ParsedAddr a;
        if (ai->ai_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
            a.kind = AddrKind::kV4;
            a.addr = IpAddr::V4(ntohl(sin->sin_addr.s_addr));
        } else if (ai->ai_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
            a.kind = AddrKind::kV6;
            a.addr = IpAddr::V6(sin6->sin6_addr.s6_addr);
        } else {
            continue;
        }
        bool dup = std::any_of(out->begin(), out->end(),
                               [&](const ParsedAddr& b) { return b.addr == a.addr; });
        if (!dup) out->push_back(a);
    }
    freeaddrinfo(res);
    if (out->empty()) {
        *error = "no IPv4 or IPv6 address";
        return false;
    }
    return true;
}

bool ParseMacWord(std::string_view word, uint64_t* mac) {
    uint64_t value = 0;
    int groups = 0;
    size_t i = 0;
    while (i <= word.size() && groups < 6) {
        size_t len = 0;
        unsigned group = 0;
        while (i + len < word.size() && IsHexDigit(word[i + len])) {
            char c = word[i + len];
            int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            group = group * 16 + static_cast<unsigned>(d);
            ++len;
        }
        if (len == 0 || len > 2) return false;
        value = value << 8 | group;
        ++groups;
        i += len;
        if (i == word.size()) break;
        if (word[i] != ':' && word[i] != '-') return false;
        ++i;
    }
    if (groups != 6 || i != word.size()) return false;
    *mac = value;
    return true;
}

bool NetmaskBits(uint32_t mask, int* bits) {
    uint32_t inverted = ~mask;
    // Contiguous ones from the top: the inverted mask is of the form 0...01...1.
    if ((inverted & (inverted + 1)) != 0) return false;
    *bits = __builtin_popcount(mask);
    return true;
}

}  // namespace flow::filter::detail
