// services_file.hpp -- `--services FILE`: instances registered from a JSON file (start, SIGHUP).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "registry/registry.hpp"

namespace srvd {

/// Parses the text of a services file, `{"services": [{"name": ..., "instances": [{"id": ...,
/// <the API's instance fields>}]}]}`, every entry through the API's JSON reading and the
/// registry's validation, with nothing applied. Returns the instances (normalized, source
/// "file"), or the first error, naming file and entry:
/// `services.json: services[0].instances[2] (payment/p3): port must be 1-65535`.
std::variant<std::vector<registry::Instance>, std::string> parse_services(
    std::string_view text, std::string_view file_name, const registry::Registry& registry);

/// The file given with --services, applied to the registry idempotently: entries that did not
/// change are left alone (and keep their health state), changed ones are updated, new ones
/// registered, file-sourced instances no longer in the file deregistered. Instances registered
/// over the API are never touched, except one the file names, which the file takes over.
class ServicesFile {
 public:
  explicit ServicesFile(std::string path) : path_(std::move(path)) {}

  bool configured() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  /// Reads and validates the file and keeps its entries for apply(). On a bad file prints
  /// the error on stderr, keeps the entries it had and returns false. No file configured:
  /// true, nothing to apply.
  bool read(const registry::Registry& registry);
  /// Applies what read() kept (at the wall-clock time, as the API's writes), and prints a
  /// one-line summary on stderr. Whether the store keeps it: services_file_sync.hpp.
  void apply(registry::Registry& registry);

 private:
  std::string path_;
  std::vector<registry::Instance> entries_;
};

}  // namespace srvd
