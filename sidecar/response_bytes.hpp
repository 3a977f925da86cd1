// An HTTP response as it goes on the wire, in one buffer: status line, fields, blank line, body
// (none for HEAD). Every reply of an http_session is one of these: API replies are small, so one
// string and one write replace Beast's message, fields and serializer. Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::sidecar {

struct http_reply {
    unsigned status = 200;
    unsigned version = 11;          // of the request: 11 or 10
    std::string_view content_type;  // empty: no Content-Type
    std::string body;
    bool keep_alive = true;
    // Further fields, written in order after Content-Type; the views must outlive the render.
    std::vector<std::pair<std::string_view, std::string_view>> fields;
};

// Renders `r` into `out` (replacing what it held, keeping its capacity). With `head`, the fields
// a GET would get (Content-Length too, except for 204, 304 and an event stream) and no body.
// `allow_origin` non-empty adds the CORS fields: the value, and for anything but "*" also
// credentials and Vary: Origin.
void render_reply(std::string& out, const http_reply& r, bool head, std::string_view allow_origin);

}  // namespace herald::sidecar
