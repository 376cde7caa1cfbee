// Zstandard streaming compression and decompression: the stored format of every
// backup is a standard .zst stream (readable by `zstd -d`), compressed on several
// threads, with zstd's own per-frame content checksum. Memory is bounded: output is
// handed to the sink in chunks of at most 1 MiB from one reused buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "stream/sink.h"

namespace bb {

// Streaming zstd compressor (multi-threaded, content checksum on). Move-only.
class ZstdCompressor {
 public:
  // level: zstd level (1..19, negative = fast); threads: worker threads, 0 = CPUs.
  ZstdCompressor(int level, int threads);
  ~ZstdCompressor();
  ZstdCompressor(ZstdCompressor&&) noexcept;
  ZstdCompressor& operator=(ZstdCompressor&&) noexcept;

  // Compresses n bytes; complete output chunks (1 MiB) go to out, the rest is kept.
  void write(const char* data, std::size_t n, const ByteSink& out);
  // Ends the frame and hands every remaining byte to out. A later write starts a new frame.
  void finish(const ByteSink& out);
  // Uncompressed bytes consumed so far.
  std::uint64_t bytes_in() const { return bytes_in_; }
  // Compressed bytes handed to sinks so far.
  std::uint64_t bytes_out() const { return bytes_out_; }
  // Worker threads actually in use (0: single-threaded, in the caller's thread).
  int threads() const { return threads_; }

 private:
  void flush_buffer(const ByteSink& out);

  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::vector<char> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  int threads_ = 0;
};

// Streaming zstd decompressor; reads any sequence of frames (also skippable frames),
// as written by ZstdCompressor or the zstd CLI. Move-only.
class ZstdDecompressor {
 public:
  ZstdDecompressor();
  ~ZstdDecompressor();
  ZstdDecompressor(ZstdDecompressor&&) noexcept;
  ZstdDecompressor& operator=(ZstdDecompressor&&) noexcept;

  // Decompresses n more compressed bytes into out (chunks of at most 1 MiB).
  // Throws OperationError on corrupt input (with zstd's reason).
  void write(const char* data, std::size_t n, const ByteSink& out);
  // Declares the end of input. Throws OperationError if the stream stopped mid-frame
  // (a truncated object) or held no data at all.
  void finish();
  // Compressed bytes consumed so far.
  std::uint64_t bytes_in() const { return bytes_in_; }
  // Decompressed bytes handed to sinks so far.
  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::vector<char> buffer_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  bool mid_frame_ = false;
};

}  // namespace bb
