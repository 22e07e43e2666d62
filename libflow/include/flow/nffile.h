// SPDX-License-Identifier: BSD-2-Clause
// Reading and writing nfdump's flow files: layout 1 (nfdump 1.6) and layout 2 (nfdump 1.7)
// are read into FlowRecord; files are written as layout 2 with V3 records, readable by
// nfdump 1.7.1. The byte layouts are described in docs/file-format.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flow/encoded.h"
#include "flow/exporter.h"
#include "flow/record.h"
#include "flow/stat.h"
#include "flow/status.h"

namespace flow {

// Block compression of a file. The values are stored on disk (layout 2 header byte 16):
// do not renumber.
enum class Codec : uint8_t {
    kNone = 0,
    kLzo = 1,   // raw LZO1X-1 stream
    kBz2 = 2,   // one bzip2 stream per block
    kLz4 = 3,   // raw LZ4 block
    kZstd = 4,  // one zstd frame per block (nfdump 1.7.3+; not readable by 1.7.1)
};

// "none", "lzo", "bz2", "lz4", "zstd".
const char* CodecName(Codec codec);

// Parses a codec name as nfdump's -z=NAME accepts it ("lzo", "bz2", "bzip2", "lz4", "zstd",
// "none", case-insensitive). InvalidArgument for anything else.
Result<Codec> ParseCodec(std::string_view name);

// Longest ident a file can carry: nfdump rejects appendix ident records of 128 bytes or more
// (4-byte record header + text + NUL).
inline constexpr size_t kMaxIdentLength = 122;

// What a file's header and appendix (layout 2) or header and stat record (layout 1) say.
struct FileInfo {
    std::string path;
    int layout = 2;  // 1 = nfdump 1.6 file, 2 = nfdump 1.7 file
    Codec codec = Codec::kNone;
    bool anonymized = false;   // layout 1 header flag 0x02 (set by nfanon)
    std::string ident;         // empty when the file records none (unclosed files)
    int64_t created = 0;       // layout 2: UNIX seconds at open; layout 1: file mtime
    uint32_t nfd_version = 0;  // layout 2 writer version (1.7.1 writes 0x01070100); 1: 0
    uint32_t creator = 0;      // layout 2: 1 nfcapd, 2 nfpcapd, 3 sfcapd, 4 nfdump, 0 unknown
    uint32_t num_blocks = 0;   // data blocks according to the header (a hint for layout 1)
    uint16_t appendix_blocks = 0;
    uint64_t appendix_offset = 0;  // 0 = none
    uint16_t appendix_blocks_read = 0;  // appendix blocks that were read intact
    uint64_t appendix_records = 0;      // records those blocks hold (ident, stat, ...)
    uint64_t file_size = 0;
    // False for a file whose writer never closed it (nfcapd.current.*): the header has
    // NumBlocks 0 / no appendix; the reader then reads blocks up to end of file and the stat
    // record is absent (layout 2) or holds its initial values (layout 1).
    bool closed = true;
    bool has_stat = false;  // a stat record was read (layout 1 always; layout 2 appendix)
    StatRecord stat;
};

// Non-fatal things the reader skipped, per file. Tools may print them; nothing is logged.
struct ReadCounters {
    uint64_t blocks = 0;            // data blocks decoded
    uint64_t block_records = 0;     // records of every type those blocks' headers declare
    uint64_t bytes_read = 0;        // decompressed payload bytes of those blocks
    uint64_t stored_bytes = 0;      // their payload bytes as stored (compressed) in the file
    uint64_t flow_records = 0;      // flow records handed out
    uint64_t skipped_blocks = 0;    // block types other than 2 and 3 (histograms, arrays)
    uint64_t unknown_records = 0;   // record types not understood, skipped by size
    uint64_t unknown_elements = 0;  // V3 element ids or lengths not understood, skipped
    uint64_t unmapped_records = 0;  // layout 1 records naming an undefined extension map
    uint64_t bad_maps = 0;          // layout 1 extension maps failing validation, ignored
    uint64_t v0_records = 0;        // layout 1 type-1 records (nfdump <= 1.6.11) converted
    uint64_t extension_maps = 0;    // layout 1 extension map records met (valid or not)
};

// A layout 1 (nfdump 1.6) extension map record as stored: which optional extensions the
// records naming the map carry (see ReaderOptions::on_extension_map).
struct ExtensionMapRecord {
    uint16_t map_id = 0;          // as stored (records read 0xFFFF as 0)
    uint16_t size = 0;            // the record's size in bytes
    uint16_t extension_size = 0;  // the declared sum of the extensions' sizes
    std::vector<uint16_t> ids;    // the extension ids before the 0 that ends the list
};

struct ReaderOptions {
    // Number of blocks read and decompressed ahead on a background thread (a ring of that
    // many reused buffers). 0 reads and decompresses on the caller's thread. Values above 8
    // are treated as 8.
    int prefetch_blocks = 0;
    // The caller passes the same FlowRecord to every NextRecord() and does not change it
    // between calls. The reader then writes only the fields of the elements a record
    // carries when the record before carried no other element (most files hold one kind
    // of record), instead of clearing all of the record first. The result is the same.
    bool reuse_record = false;
    // Splits a file between readers, one per thread, as they go: readers given the same
    // counter (zero at the start) each decode the next decodable data block no reader has
    // claimed yet, so that a reader whose thread gets less CPU takes fewer. The others are
    // stepped over by their block header without reading or decompressing them (their
    // exporter and sampler records are not seen either). Every reader still checks every
    // block header, so each reports the same framing errors. The counter must outlive the
    // readers.
    std::atomic<uint64_t>* block_claims = nullptr;
    // The elements (bits 1 << ElementId, as FlowRecord::present) the caller reads of the
    // records NextRecord() returns, e.g. a filter's Filter::elements_read() plus the
    // generic and counter elements of the summary. Layout 2 records then decode only those
    // (and the elements that decide their values), cheaper when most go unread; the fields
    // and presence bits of the others are unspecified until DecodeWhole(). Layout 1
    // records are always decoded whole. Errors are found and reported the same either way.
    uint64_t elements = kAllElements;
    // Called with every extension map record of a layout 1 file, in file order, valid or
    // not (a map nfdump's rules refuse is still ignored for decoding), as NextRecord() meets
    // it. For flowdump -x.
    std::function<void(const ExtensionMapRecord&)> on_extension_map;
};

// Reads one nfdump file, block by block. Usage:
//
//   auto r = NfFileReader::Open(path);
//   if (!r.ok()) ...
//   FlowRecord rec;
//   for (;;) {
//       Result<bool> more = (*r)->NextBlock();
//       if (!more.ok()) { report more.status(); break; }   // or continue, see NextBlock
//       if (!*more) break;
//       while ((*r)->NextRecord(&rec)) use(rec);
//   }
//
// Not thread-safe: one thread uses a reader (with prefetching, the reader's own background
// thread only reads and decompresses). The reader trusts no byte of the file: every length
// is checked, failures are Statuses naming the file, the block number and the problem.
class NfFileReader {
public:
    // Opens `path`, reads and checks the header, the layout 1 stat record or the layout 2
    // appendix (ident + stat). Fails with NotFound / IoError (with strerror text),
    // Malformed (bad magic, byte-swapped file, impossible header), Truncated or Unsupported
    // (encryption, unknown layout or codec). A damaged layout 2 appendix is not fatal: the
    // file opens with has_stat = false, as nfdump does. No data block is read yet.
    static Result<std::unique_ptr<NfFileReader>> Open(const std::string& path,
                                                      const ReaderOptions& options = {});

    ~NfFileReader();
    NfFileReader(const NfFileReader&) = delete;
    NfFileReader& operator=(const NfFileReader&) = delete;

    const FileInfo& info() const;

    // Loads the next data block (decompressed, records framed) and returns true, or false at
    // the end of the data. Blocks of types the reader does not decode are skipped.
    // Errors: Truncated (block header or payload cut short, e.g. the file ends inside a
    // block), Malformed (impossible size, codec error, corrupt record framing), Unsupported.
    // Three kinds of failure:
    //   - the file's block sequence is broken (bad block header, short read): the status is
    //     returned and every later call returns false;
    //   - a block's payload cannot be decompressed: the status is returned once (the block
    //     yields no records) and the next call loads the block after it;
    //   - a record inside a block is corrupt: NextRecord() stops at it (records before it
    //     were handed out), and the next NextBlock() call returns the status once; calling
    //     NextBlock() again continues with the block after it.
    // Records of the current block not yet fetched with NextRecord() are discarded.
    Result<bool> NextBlock();

    // Decodes the next flow record of the current block into `out` (fully overwritten) and
    // returns true; false when the block holds no more flow records (or a corrupt record
    // was met, see NextBlock). Exporter, exporter-stat and sampler records met on the way
    // update exporters() / samplers(); extension maps update the layout 1 state. No
    // allocation. Rules applied while decoding (nfdump 1.7.8 behaviour): a record carrying
    // both an IPv4 and an IPv6 address element keeps one (EXlayer2 ipVersion if present, else
    // IPv4 unless both its addresses are zero); first_ms = 0 is replaced by the NSEL, else
    // the NAT event time; absent EXcntFlow means flows = 1.
    bool NextRecord(FlowRecord* out);

    // Calls `visit(const FlowRecord&)` for each flow record left in the current block, as
    // many NextRecord(out) calls would fill `out`, until `visit` returns false or the block
    // ends (or a corrupt record stops it, see NextBlock). For loops over every record: the
    // fast path runs inline in the caller with the loop's state in registers. `visit` may
    // call DecodeWhole(out) and StoredRecord(); counters() is brought up to date when the
    // call returns. Defined in libflow/src/nffile/reader_impl.h, which a caller includes.
    template <class Visit>
    void ScanBlock(FlowRecord* out, Visit&& visit);

    // Decodes every element of the record the last NextRecord() call returned into `out`,
    // which must be the record passed to that call, unchanged since (with
    // ReaderOptions::elements, to print or keep a record that passed a filter). A no-op when
    // that record was decoded whole already.
    void DecodeWhole(FlowRecord* out);

    // The bytes of the record the last NextRecord() call returned, as the file stores
    // them, when it is a V3 record that nffile's DecodeV3 with default options decodes
    // alone to what NextRecord() gave (with all elements); empty for other records (layout
    // 1 files, and 1.7.5's files, whose IP info element decodes by an option of the
    // reader). Lets a caller keep a record without encoding it again. Valid until the next
    // NextBlock() call.
    std::span<const uint8_t> StoredRecord() const;

    // Exporters and samplers seen so far in this file (records may follow their flows).
    // References are valid until the next NextRecord()/NextBlock() call.
    const std::vector<ExporterInfo>& exporters() const;
    const std::vector<SamplerInfo>& samplers() const;
    // The exporter with this sysid, or nullptr. Valid like exporters().
    const ExporterInfo* FindExporter(uint16_t sysid) const;

    const ReadCounters& counters() const;
    // 1-based number of the block last loaded by NextBlock(); 0 before the first.
    uint32_t block_number() const;

    class Impl;

private:
    explicit NfFileReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct WriterOptions {
    uint32_t nfd_version = 0x01070100;  // what nfdump 1.7.1 writes
    uint32_t creator = 0;               // 1.7.1 writes 0; 1 nfcapd, 4 nfdump (1.7.2+)
    // Codec level: zstd level (0 = default 3); lz4 > 0 selects LZ4-HC at that level; others
    // ignore it.
    int level = 0;
    // Uncompressed bytes per data block; a block is written when the next record would not
    // fit. 1 MiB is what nfdump 1.7.1 uses (it can read blocks up to 5 MiB).
    uint32_t block_bytes = 1u << 20;
    // How Append() counts flows and fills the per-protocol buckets of the stat record:
    // kCollector as nfcapd (a flow per record), kNfdump as `nfdump -w` (the records' flow
    // counts; buckets include out counters).
    StatRule stat_rule = StatRule::kCollector;
};

// Writes a layout 2 file. Records go into a block buffer that is compressed and written
// when full; Close() writes the last block, the appendix (ident + stat record) and the
// final header. Until Close() the file on disk looks like an unclosed nfcapd.current file.
// Not thread-safe.
class NfFileWriter {
public:
    // Creates (truncates) `path` and writes a provisional header. `ident` may hold at most
    // kMaxIdentLength bytes and no NUL (nfdump rejects longer appendix ident records):
    // InvalidArgument otherwise.
    // Unsupported when the codec is not compiled in; IoError with strerror text otherwise.
    static Result<std::unique_ptr<NfFileWriter>> Create(const std::string& path, Codec codec,
                                                        std::string_view ident,
                                                        const WriterOptions& options = {});

    // Closes the file if Close() was not called; errors are lost then.
    ~NfFileWriter();
    NfFileWriter(const NfFileWriter&) = delete;
    NfFileWriter& operator=(const NfFileWriter&) = delete;

    // Appends `rec` as a V3 record holding exactly the elements whose presence bit is set
    // (EXipReceivedV4/V6 last, as nfcapd orders them) and, when `count_in_stat`, accounts it
    // into stat() once its block is on disk. IoError when the full block before it could not
    // be written (disk full): that block is cut off, its counted flows are added to
    // flows_dropped(), and `rec` is not stored either. Malformed when compression failed.
    // No allocation once the block buffer exists.
    Status Append(const FlowRecord& rec, bool count_in_stat = true);
    // Appends the V3 record `stored` as it is (NfFileReader::StoredRecord() of the record
    // `rec` was read as), with every element it holds, also those FlowRecord has no fields
    // for, and accounts `rec` as Append() does. InvalidArgument when `stored` is not one V3
    // record (type 11, its size field its length); errors as Append() otherwise.
    Status AppendStored(const FlowRecord& rec, std::span<const uint8_t> stored,
                        bool count_in_stat = true);

    // Appends the records of `flows` (V3 records as Append() encodes them) and accounts each
    // into stat() by its counts, as Append() with `count_in_stat` does. Returns how many were
    // not stored: a record that meets an error (as Append() would return it) is not stored
    // and the next one is tried; `*error` gets the first error.
    size_t AppendEncoded(const EncodedFlows& flows, Status* error);

    // Appends an exporter record (type 7, legacy address encoding that every 1.7 reader
    // understands), a sampler record (type 15), or one exporter-stats record (type 8) with
    // all `stats` entries (InvalidArgument when more than fit in one record). Exporter and
    // sampler records are kept: when their block cannot be written they start the next
    // block, so the flows written after them keep their exporter. An IoError from
    // AddExporter/AddSampler (the block before could not be written) has stored the record
    // all the same, for the next block.
    Status AddExporter(const ExporterInfo& exporter);
    Status AddSampler(const SamplerInfo& sampler);
    Status AddExporterStats(std::span<const ExporterStats> stats);

    // Stat record handling: stat() describes the blocks written so far (the flows of the
    // block still in the buffer join it when that block is written), so the stat record
    // written at Close() always matches the file's data blocks. These override it.
    void SetSequenceFailures(uint64_t failures);
    void SetStat(const StatRecord& stat);
    const StatRecord& stat() const;
    // Counted flows (StatRecord::num_flows) of blocks that could not be written, Close()'s
    // last block included: every flow appended with `count_in_stat` ends in stat() or here.
    uint64_t flows_dropped() const;
    // Every flow appended with `count_in_stat` so far, stored, buffered or dropped: grows
    // only (for live counters such as flowcapd -m). Not a hot path (merges two records).
    StatRecord accepted_stat() const;
    // Replaces the ident written at Close() (same limit as Create; InvalidArgument).
    Status SetIdent(std::string_view ident);

    // Writes the pending block now (nothing when empty).
    Status Flush();
    // Flushes, writes the appendix and rewrites the header. Room for the appendix is kept
    // allocated behind the last block (fallocate), so a full disk cuts off data blocks but
    // still lets the file be closed; where the file system cannot preallocate and the
    // appendix does not fit, the file is left unclosed holding its complete blocks. Further
    // calls return OK and do nothing; Append after Close is InvalidArgument.
    Status Close();

    uint32_t blocks_written() const;  // data blocks so far
    uint64_t bytes_written() const;   // file size so far

    class Impl;

private:
    explicit NfFileWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Replaces the ident stored in the file at `path` (what `nfdump -r file -i ident` means to
// do). Layout 2: the data blocks are copied unchanged and a new appendix is written, into a
// temporary file in the same directory that is renamed over `path`. Layout 1: the 128-byte
// header ident is rewritten in place. InvalidArgument when `new_ident` is longer than
// kMaxIdentLength or holds a NUL; reader errors for a damaged file (nothing is changed then);
// IoError from the file system.
Status ChangeIdent(const std::string& path, std::string_view new_ident);

// Rewrites the file at `path` with its blocks compressed by `codec` (what `nfdump -J` does),
// `level` as for NfFileWriter. Every block's records are kept byte for byte (elements and
// record types flowkit does not decode included); only the codec changes. The whole file is
// read and checked first (a damaged file is reported and left as it is); the new file is
// written beside it and renamed over it. Layout 2 keeps its header fields and gets a new
// appendix with the same ident and stat record; layout 1 stays layout 1 (its header's codec
// flag changes), so ZSTD, which layout 1 cannot name, is Unsupported for it.
Status ChangeCodec(const std::string& path, Codec codec, int level = 0);

}  // namespace flow
