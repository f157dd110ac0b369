#include "api/ui_assets.h"

namespace lro::server::internal {

// Defined in the generated ui_assets_data.cc.
extern const UiAsset kUiAssets[];
extern const std::size_t kUiAssetCount;

const UiAsset* FindUiAsset(std::string_view path) {
  if (path == "/ui/") path = "/ui";
  for (std::size_t i = 0; i < kUiAssetCount; ++i) {
    if (kUiAssets[i].path == path) return &kUiAssets[i];
  }
  return nullptr;
}

}  // namespace lro::server::internal
