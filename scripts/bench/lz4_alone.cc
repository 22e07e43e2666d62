// SPDX-License-Identifier: BSD-2-Clause
// The time liblz4 alone takes to decompress every block of LZ4 nfdump files (layout 2), on
// one or more threads: the least time any reader of those files that uses liblz4 can take on
// that many cores, whatever else it does. scripts/bench/run.sh prints it next to flowdump
// and nfdump reading the same files.
//
//   flowbench_lz4 [--threads N] FILE...
//
// Prints one line: "<blocks> blocks, <MB> MB decompressed, <s> s on <N> threads". Exit 1 for
// a file that is not an LZ4 layout 2 nfdump file or a block liblz4 refuses.
#include <fcntl.h>
#include <lz4.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kHeaderSize = 40;       // layout 2 file header
constexpr size_t kBlockHeaderSize = 12;  // records, stored size, type, flags
constexpr uint8_t kCodecLz4 = 3;         // the header's compression byte
constexpr size_t kMaxBlock = 5u << 20;   // nfdump's largest block

struct Block {
    const char* data;
    uint32_t size;
};

uint32_t Load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Maps `path` and appends its blocks to `blocks`; false with a message for another file.
bool AddFile(const char* path, std::vector<Block>* blocks) {
    int fd = ::open(path, O_RDONLY);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < kHeaderSize) {
        std::fprintf(stderr, "flowbench_lz4: %s: cannot read an nfdump header\n", path);
        return false;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) {
        std::fprintf(stderr, "flowbench_lz4: %s: mmap failed\n", path);
        return false;
    }
    const auto* p = static_cast<const uint8_t*>(m);
    if (p[0] != 0x0c || p[1] != 0xa5 || p[2] != 2 || p[16] != kCodecLz4) {
        std::fprintf(stderr, "flowbench_lz4: %s: not an LZ4 nfdump 1.7 file\n", path);
        return false;
    }
    // Data blocks and the appendix alike: all of them are LZ4 blocks.
    for (size_t pos = kHeaderSize; pos + kBlockHeaderSize <= size;) {
        const uint32_t stored = Load32(p + pos + 4);
        if (stored == 0 || stored > kMaxBlock || stored > size - pos - kBlockHeaderSize) {
            std::fprintf(stderr, "flowbench_lz4: %s: bad block at offset %zu\n", path, pos);
            return false;
        }
        blocks->push_back({reinterpret_cast<const char*>(p + pos + kBlockHeaderSize), stored});
        pos += kBlockHeaderSize + stored;
    }
    return true;  // the mapping stays until the process ends
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = 1;
    std::vector<Block> blocks;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = static_cast<unsigned>(std::atoi(argv[++i]));
            if (threads == 0 || threads > 64) {
                std::fprintf(stderr, "flowbench_lz4: --threads must be 1 to 64\n");
                return 2;
            }
        } else if (!AddFile(argv[i], &blocks)) {
            return 1;
        }
    }
    if (blocks.empty()) {
        std::fprintf(stderr, "usage: flowbench_lz4 [--threads N] FILE...\n");
        return 2;
    }
    // Each thread decompresses into its own buffer, taking the next block nobody has taken.
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<bool> failed{false};
    auto work = [&] {
        std::unique_ptr<char[]> out(new char[kMaxBlock]);
        uint64_t mine = 0;
        for (size_t i; (i = next.fetch_add(1)) < blocks.size();) {
            int n = LZ4_decompress_safe(blocks[i].data, out.get(), static_cast<int>(blocks[i].size),
                                        static_cast<int>(kMaxBlock));
            if (n < 0) failed = true;
            mine += static_cast<uint64_t>(n < 0 ? 0 : n);
        }
        bytes += mine;
    };
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
    if (failed) {
        std::fprintf(stderr, "flowbench_lz4: liblz4 refused a block\n");
        return 1;
    }
    std::printf("%zu blocks, %.1f MB decompressed, %.3f s on %u threads\n", blocks.size(),
                static_cast<double>(bytes) / 1e6, s.count(), threads);
    return 0;
}
