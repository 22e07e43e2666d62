// SPDX-License-Identifier: BSD-2-Clause
// nfdump.conf: the TOML configuration file that nfdump's tools share. Which file a tool
// reads (-C, $NFCONF, the default places), and the parts of it flowkit uses: the output
// formats of the [nfdump] table and the flow sources of the [nfcapd] table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flow/output.h"
#include "flow/status.h"

namespace flow {

// One `exporter.<ident> = ["IP", "dir"]` entry of the [nfcapd] table.
struct ConfExporter {
    std::string ident;
    std::string address;
    std::string directory;
};

struct NfConf {
    std::string path;                     // the file read; empty when there was none
    output::UserFormats formats;          // [nfdump] fmt.<name>: names lower case, sorted
    std::vector<ConfExporter> exporters;  // [nfcapd] exporter.<ident>, sorted by ident
    // Keys of the [nfcapd] table other than exporter.<ident> (flowcapd refuses them).
    std::vector<std::string> other_nfcapd_keys;
};

// The places looked at, in order, when neither -C nor $NFCONF names a file: where nfdump
// looks when installed by a distribution's package (/etc), then from source (/usr/local/etc,
// also Debian's nfdump 1.7.1).
std::vector<std::string> DefaultNfConfPaths();

// The file to read, given -C's value (`option`; empty when -C was not given) and $NFCONF
// (`env`; null or empty when unset): none (an empty string) for -C none; the file -C, else
// $NFCONF, names, which must exist and be a regular file (InvalidArgument "path does not
// exist: X" / "not a regular file: X"); else the first of DefaultNfConfPaths() that exists,
// or none.
Result<std::string> LocateNfConf(std::string_view option, const char* env);

// Reads the TOML file `path`. Tables and keys flowkit does not use are ignored, as nfdump
// ignores them. InvalidArgument "Failed to parse config file X: <what>" for a file that is
// not TOML, a fmt.<name> that is not a string, an exporter.<ident> that is not two strings,
// or two format names that differ only in case.
Result<NfConf> ReadNfConf(const std::string& path);

// The same for the file's text, `path` naming it in messages and in NfConf::path. Refuses
// text over 1 MiB or nested over 32 deep before parsing it (the parser recurses).
Result<NfConf> ParseNfConf(const std::string& text, const std::string& path);

}  // namespace flow
