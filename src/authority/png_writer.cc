#include "authority/png_writer.h"

#include <fmt/format.h>
#include <png.h>

#include <cstring>

namespace interstice::authority {

base::Result<void> write_png(const std::filesystem::path& path, uint32_t width, uint32_t height,
                             const std::vector<uint8_t>& rgba) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4)
    return base::make_error("write_png: the pixels do not match the size");
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_RGBA;
  // Written beside, then renamed: a reader never sees half a frame.
  std::filesystem::path temp = path;
  temp += ".writing";
  if (!png_image_write_to_file(&image, temp.c_str(), 0, rgba.data(), 0, nullptr))
    return base::make_error(fmt::format("cannot write {}: {}", path.string(), image.message));
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return base::make_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  return {};
}

base::Result<std::vector<uint8_t>> read_png(const std::filesystem::path& path, uint32_t* width,
                                            uint32_t* height) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    return base::make_error(fmt::format("cannot read {}: {}", path.string(), image.message));
  image.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
    return base::make_error(fmt::format("cannot read {}: {}", path.string(), image.message));
  *width = image.width;
  *height = image.height;
  return pixels;
}

}  // namespace interstice::authority
