// SPDX-License-Identifier: BSD-2-Clause
// Address words of the filter language: IPv4 (also abbreviated, "192.168"), IPv6, host
// names (resolved once at compile time), network masks and MAC addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/record.h"

namespace flow::filter::detail {

enum class AddrKind {
    kV4,       // complete dotted quad
    kV4Part,   // 1 to 3 dotted parts; missing trailing parts are zero ("192.168" = 192.168.0.0)
    kV6,       // complete IPv6 address
    kV6Part,   // IPv6 groups without "::" and fewer than eight; missing groups are zero
    kName,     // looks like a host name
    kInvalid,  // none of the above
};

struct ParsedAddr {
    AddrKind kind = AddrKind::kInvalid;
    IpAddr addr;
    int v4_parts = 0;  // number of dotted parts given, for kV4 / kV4Part
};

// Classifies and converts `word`. Never resolves names.
ParsedAddr ParseAddressWord(std::string_view word);

// Mask of `bits` leading ones over the 128-bit address. For IPv4 pass 96 + prefix length,
// so the high 96 bits (zero in every IPv4 address) must match too.
IpAddr PrefixMask(int bits);

// Resolves a host name with getaddrinfo() (IPv4 and IPv6 results, duplicates removed).
// Returns false with `error` set when nothing was found.
bool ResolveHost(const std::string& name, std::vector<ParsedAddr>* out, std::string* error);

// Parses a MAC address: six groups of one or two hex digits separated by ':' or '-'.
bool ParseMacWord(std::string_view word, uint64_t* mac);

// Converts a dotted IPv4 netmask to a prefix length; false if not contiguous.
bool NetmaskBits(uint32_t mask, int* bits);

}  // namespace flow::filter::detail
