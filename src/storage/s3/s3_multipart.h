// S3 multipart writer: an ObjectWriter that cuts the stream into parts and uploads
// them on worker threads while the caller keeps writing. Memory stays bounded by
// part size x (concurrency + 1). Objects smaller than one part go up in a single PUT.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/s3/s3_client.h"
#include "storage/storage.h"

namespace bb::s3 {

// Opens a writer for full_key (prefix included) with the given part size (>= 5 MiB)
// and number of parts uploaded at once (>= 1). max_parts is S3's limit; tests lower it.
std::unique_ptr<ObjectWriter> make_multipart_writer(std::shared_ptr<Client> client,
                                                    std::string full_key,
                                                    std::uint64_t part_size_bytes,
                                                    int concurrency, int max_parts = kMaxParts);

}  // namespace bb::s3
