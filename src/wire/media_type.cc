#include "wire/media_type.h"

#include <string>

#include "wire/ascii.h"

namespace lro::wire {

bool IsJsonMediaType(std::string_view content_type) {
  std::string media;  // lower case, without parameters or blanks
  for (const char c : content_type) {
    if (c == ';') break;
    if (c != ' ' && c != '\t') media += AsciiLower(c);
  }
  return media == "application/json" || media == "text/json" ||
         (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
}

}  // namespace lro::wire
