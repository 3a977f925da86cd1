// An HTTP response as it goes on the wire, in one buffer: the status line and fields as Beast
// would write them, then the body (or none, for HEAD). API replies are small, so one string and
// one write replace Beast's serializer and its state. Pure; any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace herald::sidecar {

// `res` must be prepared (Content-Length set, or left out on purpose for a HEAD of a stream).
std::string response_bytes(const boost::beast::http::response<boost::beast::http::string_body>& res, bool with_body);

}  // namespace herald::sidecar
