// Zstandard streaming over ZSTD_compressStream2 / ZSTD_decompressStream, each object
// owning one context and one reused 1 MiB output buffer.
#include "stream/zstd.h"

#include <zstd.h>

#include <string>
#include <thread>

#include "util/error.h"

namespace bb {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

[[noreturn]] void throw_zstd(const std::string& what, std::size_t code) {
  throw OperationError("zstd: " + what + ": " + ZSTD_getErrorName(code));
}

void check_parameter(std::size_t code, const char* name) {
  if (ZSTD_isError(code)) throw_zstd(std::string("setting ") + name, code);
}

}  // namespace

struct ZstdCompressor::Ctx {
  ZSTD_CCtx* cctx = nullptr;
  ~Ctx() { ZSTD_freeCCtx(cctx); }
};

ZstdCompressor::ZstdCompressor(int level, int threads)
    : ctx_(std::make_unique<Ctx>()), buffer_(kChunkBytes) {
  ctx_->cctx = ZSTD_createCCtx();
  if (ctx_->cctx == nullptr) throw OperationError("zstd: out of memory creating a compressor");
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    throw OperationError("zstd: compression level " + std::to_string(level) + " is out of range " +
                         std::to_string(ZSTD_minCLevel()) + ".." +
                         std::to_string(ZSTD_maxCLevel()) + " — check backup.compression_level");
  }
  check_parameter(ZSTD_CCtx_setParameter(ctx_->cctx, ZSTD_c_compressionLevel, level),
                  "the compression level");
  check_parameter(ZSTD_CCtx_setParameter(ctx_->cctx, ZSTD_c_checksumFlag, 1), "the checksum flag");
  int workers = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  if (workers < 1) workers = 1;
  // A libzstd built without ZSTD_MULTITHREAD refuses nbWorkers; compress in-thread then.
  if (!ZSTD_isError(ZSTD_CCtx_setParameter(ctx_->cctx, ZSTD_c_nbWorkers, workers))) {
    threads_ = workers;
  }
}

ZstdCompressor::~ZstdCompressor() = default;
ZstdCompressor::ZstdCompressor(ZstdCompressor&&) noexcept = default;
ZstdCompressor& ZstdCompressor::operator=(ZstdCompressor&&) noexcept = default;

void ZstdCompressor::flush_buffer(const ByteSink& out) {
  if (buffered_ == 0) return;
  out(buffer_.data(), buffered_);
  bytes_out_ += buffered_;
  buffered_ = 0;
}

void ZstdCompressor::write(const char* data, std::size_t n, const ByteSink& out) {
  ZSTD_inBuffer input{data, n, 0};
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buffer_.data(), buffer_.size(), buffered_};
    std::size_t rc = ZSTD_compressStream2(ctx_->cctx, &output, &input, ZSTD_e_continue);
    if (ZSTD_isError(rc)) throw_zstd("compression failed", rc);
    buffered_ = output.pos;
    if (buffered_ == buffer_.size()) flush_buffer(out);
  }
  bytes_in_ += n;
}

void ZstdCompressor::finish(const ByteSink& out) {
  ZSTD_inBuffer input{nullptr, 0, 0};
  for (;;) {
    ZSTD_outBuffer output{buffer_.data(), buffer_.size(), buffered_};
    std::size_t remaining = ZSTD_compressStream2(ctx_->cctx, &output, &input, ZSTD_e_end);
    if (ZSTD_isError(remaining)) throw_zstd("finishing the frame failed", remaining);
    buffered_ = output.pos;
    if (remaining == 0) break;
    if (buffered_ == buffer_.size()) flush_buffer(out);
  }
  flush_buffer(out);
}

struct ZstdDecompressor::Ctx {
  ZSTD_DCtx* dctx = nullptr;
  ~Ctx() { ZSTD_freeDCtx(dctx); }
};

ZstdDecompressor::ZstdDecompressor() : ctx_(std::make_unique<Ctx>()), buffer_(kChunkBytes) {
  ctx_->dctx = ZSTD_createDCtx();
  if (ctx_->dctx == nullptr) throw OperationError("zstd: out of memory creating a decompressor");
  // Accept windows up to 2 GiB (zstd --long=31), beyond the default 128 MiB limit.
  check_parameter(ZSTD_DCtx_setParameter(ctx_->dctx, ZSTD_d_windowLogMax, 31),
                  "the maximum window size");
}

ZstdDecompressor::~ZstdDecompressor() = default;
ZstdDecompressor::ZstdDecompressor(ZstdDecompressor&&) noexcept = default;
ZstdDecompressor& ZstdDecompressor::operator=(ZstdDecompressor&&) noexcept = default;

void ZstdDecompressor::write(const char* data, std::size_t n, const ByteSink& out) {
  ZSTD_inBuffer input{data, n, 0};
  bool output_full = false;
  // Also loop while the output buffer came back full: the context may hold more.
  while (input.pos < input.size || output_full) {
    ZSTD_outBuffer output{buffer_.data(), buffer_.size(), 0};
    std::size_t rc = ZSTD_decompressStream(ctx_->dctx, &output, &input);
    if (ZSTD_isError(rc)) {
      throw OperationError("zstd: corrupt compressed data at about byte " +
                           std::to_string(bytes_in_ + input.pos) + ": " + ZSTD_getErrorName(rc) +
                           " — the stored object is damaged or not a zstd stream");
    }
    mid_frame_ = rc != 0;
    output_full = output.pos == output.size;
    if (output.pos > 0) {
      out(buffer_.data(), output.pos);
      bytes_out_ += output.pos;
    }
  }
  bytes_in_ += n;
}

void ZstdDecompressor::finish() {
  if (bytes_in_ == 0) {
    throw OperationError(
        "zstd: the compressed stream is empty (0 bytes) — the stored object is "
        "truncated or was never written completely");
  }
  if (mid_frame_) {
    throw OperationError("zstd: the compressed stream ends in the middle of a frame after " +
                         std::to_string(bytes_in_) + " bytes — the stored object is truncated");
  }
}

}  // namespace bb
