// Named errors: the one catalog of what can go wrong, as a user sees it.
// Each error has a stable code, an HTTP status, a message naming the bad value and a hint.
// Plain values, no I/O; safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace herald::model {

struct error {
    std::string code;     // stable machine-readable name, e.g. "invalid_channel"
    int status = 500;     // HTTP status the API answers with
    std::string message;  // names the offending value
    std::string hint;     // what to do about it
};

namespace errors {
error invalid_channel(const std::string& message);
error invalid_json(const std::string& message);
error missing_field(const std::string& field);
error invalid_field(const std::string& field, const std::string& message);
error invalid_cursor(const std::string& value);
error not_found(const std::string& method, const std::string& target);
error method_not_allowed(const std::string& method, const std::string& target, const std::string& allowed);
error unsupported_media_type(const std::string& content_type);
error body_too_large(std::size_t limit);
error data_too_large(std::size_t size, std::size_t limit);
error too_many_channels(std::size_t count, std::size_t limit);
error too_many_connections(std::size_t limit, bool internal = false);
error bad_request(const std::string& message);
error unavailable(const std::string& message, const std::string& hint);
error broker_timeout(const std::string& message);
error internal(const std::string& message);
error origin_not_allowed(const std::string& origin);
error cross_origin_refused();
error host_not_allowed(const std::string& host);
error too_many_publishes(std::size_t count, std::size_t limit);
error reply_timeout(std::int64_t ms);
}  // namespace errors

// A value or a named error; the data plane reports failures through this, never by throwing.
template <typename T>
class result {
public:
    result(T value) : v_(std::move(value)) {}
    result(error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const error& err() const { return std::get<1>(v_); }

private:
    std::variant<T, error> v_;
};

}  // namespace herald::model
