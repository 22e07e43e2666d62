// SPDX-License-Identifier: BSD-2-Clause
// Reading an in-memory nfdump file with NfFileReader the way flowdump does: the bytes go to
// an anonymous memory file (memfd) that the reader opens by its /proc path, then every block
// and record is read, continuing past record-level damage as NextBlock() allows.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "fuzz_util.h"

namespace flow::fuzz {

// A regular file in memory holding `data`; closed on destruction. path() is empty when the
// kernel refused to create one.
class MemoryFile {
public:
    MemoryFile(const uint8_t* data, size_t size) {
        fd_ = ::memfd_create("flowkit-fuzz", MFD_CLOEXEC);
        if (fd_ < 0) return;
        size_t done = 0;
        while (done < size) {
            const ssize_t n = ::write(fd_, data + done, size - done);
            if (n <= 0) return;
            done += static_cast<size_t>(n);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~MemoryFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    const std::string& path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

// Records ReadWholeFile keeps for a round trip, at most.
inline constexpr size_t kMaxKeptRecords = 4096;

// Reads every block and record of the file in `data`; appends the first kMaxKeptRecords flow
// records to `kept` when it is not null.
inline void ReadWholeFile(const uint8_t* data, size_t size, int prefetch_blocks,
                          std::vector<FlowRecord>* kept = nullptr) {
    MemoryFile file(data, size);
    if (file.path().empty()) {
        Expect(false, "memfd_create failed");
        return;
    }
    ReaderOptions options;
    options.prefetch_blocks = prefetch_blocks;
    auto reader = NfFileReader::Open(file.path(), options);
    if (!reader.ok()) {
        Expect(!reader.status().message().empty(), "Open failed without a message");
        return;
    }
    NfFileReader& r = **reader;
    (void)r.info();

    FlowRecord rec;
    // Each NextBlock() either advances by a block or reports an error once, so twice the
    // number of possible blocks bounds the loop; the guard catches a reader that stalls.
    const size_t max_calls = 2 * (size / 12 + 2);
    for (size_t calls = 0;; ++calls) {
        Expect(calls <= max_calls, "NextBlock() keeps returning without reaching the end");
        Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            Expect(!more.status().message().empty(), "NextBlock failed without a message");
            continue;
        }
        if (!*more) break;
        while (r.NextRecord(&rec)) {
            (void)r.FindExporter(rec.exporter_sysid);
            // A 5 MiB block of tiny records would be hundreds of MiB of FlowRecords.
            if (kept != nullptr && kept->size() < kMaxKeptRecords) kept->push_back(rec);
        }
    }
    Result<bool> after = r.NextBlock();
    Expect(after.ok() && !*after, "NextBlock() not false after the end");
    for (const ExporterInfo& e : r.exporters()) {
        Expect(r.FindExporter(e.sysid) != nullptr, "listed exporter not found by sysid");
    }
    (void)r.samplers();
    (void)r.counters();
}

// Writes `records` with NfFileWriter (as `flowdump -w` rewrites what it read) and reads the
// file back: every record must come back once with the same key fields and counters.
inline void RoundTrip(const std::vector<FlowRecord>& records, Codec codec) {
    MemoryFile file(nullptr, 0);
    Expect(!file.path().empty(), "memfd_create failed");
    WriterOptions options;
    options.block_bytes = 4096;  // several blocks from few records
    auto writer = NfFileWriter::Create(file.path(), codec, "round-trip", options);
    Expect(writer.ok(), "NfFileWriter::Create on a memfd failed");
    for (const FlowRecord& rec : records) {
        Expect((*writer)->Append(rec).ok(), "Append of a record the reader produced failed");
    }
    Expect((*writer)->Close().ok(), "Close failed");

    auto reader = NfFileReader::Open(file.path());
    Expect(reader.ok(), "a file NfFileWriter wrote does not open");
    FlowRecord back;
    size_t n = 0;
    for (;;) {
        Result<bool> more = (*reader)->NextBlock();
        Expect(more.ok(), "a file NfFileWriter wrote has a bad block");
        if (!*more) break;
        while ((*reader)->NextRecord(&back)) {
            Expect(n < records.size(), "more records read back than written");
            const FlowRecord& want = records[n++];
            const char* changed = nullptr;
            if (back.present != want.present) changed = "presence bits";
            if (back.src_addr != want.src_addr || back.dst_addr != want.dst_addr) {
                changed = "addresses";
            }
            if (back.src_port != want.src_port || back.dst_port != want.dst_port) changed = "ports";
            if (back.proto != want.proto) changed = "protocol";
            if (back.packets != want.packets || back.bytes != want.bytes) changed = "counters";
            if (changed != nullptr) {
                std::fprintf(stderr, "record %zu: %s differ (present %llx -> %llx)\n", n - 1,
                             changed, static_cast<unsigned long long>(want.present),
                             static_cast<unsigned long long>(back.present));
            }
            Expect(changed == nullptr, "a record changed on its way through NfFileWriter and back");
        }
    }
    Expect(n == records.size(), "fewer records read back than written");
}

}  // namespace flow::fuzz
