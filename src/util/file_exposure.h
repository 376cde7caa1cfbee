// FileExposure: what other users of the machine can do with a file that holds a secret,
// from its permission bits: read it (mode o+r), or swap it, because it is reached through
// a symbolic link into a place every user may write.
#pragma once

#include <optional>
#include <string>

namespace bb {

// How exposed one file is to the other users of the machine.
struct FileExposure {
  unsigned mode = 0;            // permission bits of the file (of the final target, for a link)
  bool world_readable = false;  // every user may read it
  std::string link_target;      // the final target when the path is a symbolic link; "" otherwise
  // For a link: the first target (or target's folder) along the chain that every user may
  // write, so anyone could swap the secret; "" when there is none (and for a plain file).
  std::string writable_by_anyone;
  unsigned writable_mode = 0;   // its permission bits (e.g. 01777 for /tmp)
};

// Inspects path, following symbolic links; nullopt when it does not exist (or a link
// dangles): reading it will then fail with its own message.
std::optional<FileExposure> inspect_file_exposure(const std::string& path);

// Permission bits as chmod writes them: "0644", "1777".
std::string format_mode(unsigned mode);

}  // namespace bb
