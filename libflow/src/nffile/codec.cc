// SPDX-License-Identifier: BSD-2-Clause
// Block codecs: LZO1X-1, bzip2, LZ4 block and zstd frame, each bounded by the caller's
// buffer. Formats follow spec nffile-format.md §2.3.
#include "nffile/codec.h"

#include <bzlib.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include <climits>
#include <cstring>
#include <string>

namespace flow::nffile {

namespace {

bool LzoReady() {
    // lzo_init() checks the library's build assumptions once per process.
    static const bool ok = lzo_init() == LZO_E_OK;
    return ok;
}

Status CodecError(const char* codec, const char* what, long code) {
    return Status::Malformed(std::string(codec) + " " + what + " failed (code " +
                             std::to_string(code) + ")");
}

}  // namespace

struct BlockCodec::ZstdState {
    ZSTD_CCtx* cctx = nullptr;
    ZSTD_DCtx* dctx = nullptr;
    std::vector<uint8_t> lz4hc_state;

    ~ZstdState() {
        ZSTD_freeCCtx(cctx);
        ZSTD_freeDCtx(dctx);
    }
};

BlockCodec::BlockCodec(Codec codec, int level) : codec_(codec), level_(level) {
    if (codec_ == Codec::kLzo) lzo_work_.resize(LZO1X_1_MEM_COMPRESS);
    if (codec_ == Codec::kZstd || codec_ == Codec::kLz4) zstd_ = std::make_unique<ZstdState>();
}

BlockCodec::~BlockCodec() = default;

bool CodecAvailable(Codec codec) {
    switch (codec) {
        case Codec::kNone:
        case Codec::kBz2:
        case Codec::kLz4:
        case Codec::kZstd:
            return true;
        case Codec::kLzo:
            return LzoReady();
    }
    return false;
}

size_t BlockCodec::MaxCompressedSize(size_t in_len) const {
    switch (codec_) {
        case Codec::kNone:
            return in_len;
        // LZO1X worst case from the library documentation: n + n/16 + 64 + 3.
        case Codec::kLzo:
            return in_len + in_len / 16 + 64 + 3;
        // bzip2 documents 1% + 600 bytes.
        case Codec::kBz2:
            return in_len + in_len / 100 + 600;
        case Codec::kLz4:
            return static_cast<size_t>(LZ4_compressBound(static_cast<int>(in_len)));
        case Codec::kZstd:
            return ZSTD_compressBound(in_len);
    }
    return in_len;
}

Result<size_t> BlockCodec::Compress(const uint8_t* in, size_t in_len, uint8_t* out,
                                    size_t out_cap) {
    if (in_len > INT_MAX || out_cap > INT_MAX) {
        return Status::InvalidArgument("block too large to compress");
    }
    switch (codec_) {
        case Codec::kNone:
            if (in_len > out_cap) return Status::InvalidArgument("output buffer too small");
            std::memcpy(out, in, in_len);
            return in_len;
        case Codec::kLzo: {
            if (!LzoReady()) return Status::Unsupported("lzo_init failed");
            lzo_uint out_len = out_cap;
            int rc = lzo1x_1_compress(in, in_len, out, &out_len, lzo_work_.data());
            if (rc != LZO_E_OK) return CodecError("LZO", "compression", rc);
            return static_cast<size_t>(out_len);
        }
        case Codec::kBz2: {
            unsigned int out_len = static_cast<unsigned int>(out_cap);
            // Block size 9 (900k), default work factor: what nfdump writes ("BZh9").
            int rc = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out), &out_len,
                                              reinterpret_cast<char*>(const_cast<uint8_t*>(in)),
                                              static_cast<unsigned int>(in_len), 9, 0, 0);
            if (rc != BZ_OK) return CodecError("BZ2", "compression", rc);
            return static_cast<size_t>(out_len);
        }
        case Codec::kLz4: {
            int n;
            if (level_ > 0) {
                auto& state = zstd_->lz4hc_state;
                if (state.empty()) state.resize(static_cast<size_t>(LZ4_sizeofStateHC()));
                n = LZ4_compress_HC_extStateHC(
                    state.data(), reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                    static_cast<int>(in_len), static_cast<int>(out_cap), level_);
            } else {
                n = LZ4_compress_default(reinterpret_cast<const char*>(in),
                                         reinterpret_cast<char*>(out), static_cast<int>(in_len),
                                         static_cast<int>(out_cap));
            }
            if (n <= 0) return CodecError("LZ4", "compression", n);
            return static_cast<size_t>(n);
        }
        case Codec::kZstd: {
            if (zstd_->cctx == nullptr) zstd_->cctx = ZSTD_createCCtx();
            if (zstd_->cctx == nullptr) return Status::IoError("ZSTD_createCCtx: out of memory");
            size_t n =
                ZSTD_compressCCtx(zstd_->cctx, out, out_cap, in, in_len, level_ > 0 ? level_ : 3);
            if (ZSTD_isError(n)) {
                return Status::Malformed(std::string("ZSTD compression failed: ") +
                                         ZSTD_getErrorName(n));
            }
            return n;
        }
    }
    return Status::Unsupported("unknown codec");
}

Result<size_t> BlockCodec::Decompress(const uint8_t* in, size_t in_len, uint8_t* out,
                                      size_t out_cap) {
    if (in_len > INT_MAX || out_cap > INT_MAX) {
        return Status::InvalidArgument("block too large to decompress");
    }
    switch (codec_) {
        case Codec::kNone:
            if (in_len > out_cap) return Status::Malformed("block larger than buffer");
            std::memcpy(out, in, in_len);
            return in_len;
        case Codec::kLzo: {
            if (!LzoReady()) return Status::Unsupported("lzo_init failed");
            lzo_uint out_len = out_cap;
            // The _safe variant checks both input and output bounds.
            int rc = lzo1x_decompress_safe(in, in_len, out, &out_len, nullptr);
            if (rc != LZO_E_OK) return CodecError("LZO", "decompression", rc);
            return static_cast<size_t>(out_len);
        }
        case Codec::kBz2: {
            unsigned int out_len = static_cast<unsigned int>(out_cap);
            int rc = BZ2_bzBuffToBuffDecompress(reinterpret_cast<char*>(out), &out_len,
                                                reinterpret_cast<char*>(const_cast<uint8_t*>(in)),
                                                static_cast<unsigned int>(in_len), 0, 0);
            if (rc != BZ_OK) return CodecError("BZ2", "decompression", rc);
            return static_cast<size_t>(out_len);
        }
        case Codec::kLz4: {
            int n =
                LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                                    static_cast<int>(in_len), static_cast<int>(out_cap));
            if (n < 0) return CodecError("LZ4", "decompression", n);
            return static_cast<size_t>(n);
        }
        case Codec::kZstd: {
            if (zstd_->dctx == nullptr) zstd_->dctx = ZSTD_createDCtx();
            if (zstd_->dctx == nullptr) return Status::IoError("ZSTD_createDCtx: out of memory");
            size_t n = ZSTD_decompressDCtx(zstd_->dctx, out, out_cap, in, in_len);
            if (ZSTD_isError(n)) {
                return Status::Malformed(std::string("ZSTD decompression failed: ") +
                                         ZSTD_getErrorName(n));
            }
            return n;
        }
    }
    return Status::Unsupported("unknown codec");
}

}  // namespace flow::nffile
