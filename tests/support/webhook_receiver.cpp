// The test webhook receiver (see the header): Asio acceptor and Beast sessions on one io thread.
#include "tests/support/webhook_receiver.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <future>
#include <optional>
#include <stdexcept>

namespace herald::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string recorded_request::header(std::string_view name) const {
    auto same = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
                return false;
        return true;
    };
    for (const auto& [k, v] : headers)
        if (same(k, name)) return v;
    return "";
}

struct receiver_session : std::enable_shared_from_this<receiver_session> {
    receiver_session(tcp::socket s, webhook_receiver& owner, std::size_t number, const std::atomic<int>& status,
                     const std::atomic<bool>& hanging)
        : socket(std::move(s)), owner(owner), number(number), status(status), hanging(hanging) {}

    void read() {
        parser.emplace();
        parser->body_limit(16 << 20);
        http::async_read(socket, buffer, *parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->answer();
        });
    }

    void answer() {
        auto& req = parser->get();
        recorded_request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        r.body = req.body();
        r.connection = number;
        const bool hang = hanging.load();
        const int answer_status = status.load();  // read once: what is recorded is what is answered
        r.answered = hang ? 0 : answer_status;
        const bool keep = req.keep_alive();
        owner.record(std::move(r));
        if (hang) return read();  // never answered; the read holds the connection until the client leaves
        response = {};
        response.version(11);
        response.result(static_cast<unsigned>(answer_status));
        response.set(http::field::content_type, "application/json");
        response.body() = "{}";
        response.keep_alive(keep);
        response.prepare_payload();
        http::async_write(socket, response, [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
            if (ec || !keep) {
                beast::error_code ignored;
                self->socket.shutdown(tcp::socket::shutdown_both, ignored);
                return;
            }
            self->read();
        });
    }

    tcp::socket socket;
    webhook_receiver& owner;
    std::size_t number;
    const std::atomic<int>& status;
    const std::atomic<bool>& hanging;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;
};

struct webhook_receiver::impl {
    explicit impl(webhook_receiver& owner) : owner(owner) {}

    webhook_receiver& owner;
    asio::io_context io;
    // Keeps run() going while nothing is listening.
    asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(io)};
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::weak_ptr<receiver_session>> sessions;
    std::atomic<int> status{200};
    std::atomic<bool> hanging{false};
    std::thread thread;

    // Runs `f` on the io thread and waits for it.
    template <typename F>
    void on_io(F f) {
        std::promise<void> done;
        asio::post(io, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }

    // Binds 127.0.0.1:port (0: any free one); SO_REUSEADDR so come_back() gets the same port.
    void listen(unsigned short port) {
        acceptor.emplace(io);
        const tcp::endpoint at(asio::ip::address_v4::loopback(), port);
        acceptor->open(at.protocol());
        acceptor->set_option(asio::socket_base::reuse_address(true));
        acceptor->bind(at);
        acceptor->listen();
        accept();
    }

    void accept() {
        acceptor->async_accept([this](beast::error_code ec, tcp::socket s) {
            if (ec || !acceptor || !acceptor->is_open()) return;
            const auto number = owner.accepted_.fetch_add(1) + 1;
            auto session = std::make_shared<receiver_session>(std::move(s), owner, number, status, hanging);
            std::erase_if(sessions, [](const auto& w) { return w.expired(); });
            sessions.push_back(session);
            session->read();
            accept();
        });
    }

    void close_all() {
        beast::error_code ec;
        if (acceptor) acceptor->close(ec);
        acceptor.reset();
        for (auto& w : sessions)
            if (auto s = w.lock()) {
                s->socket.shutdown(tcp::socket::shutdown_both, ec);
                s->socket.close(ec);
            }
        sessions.clear();
    }
};

webhook_receiver::webhook_receiver() : impl_(std::make_unique<impl>(*this)) {
    impl_->listen(0);
    port_ = impl_->acceptor->local_endpoint().port();
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

webhook_receiver::~webhook_receiver() {
    impl_->on_io([this] { impl_->close_all(); });
    impl_->work.reset();
    impl_->io.stop();
    impl_->thread.join();
}

std::string webhook_receiver::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void webhook_receiver::set_status(int status) {
    if (status < 100 || status > 599) throw std::invalid_argument("webhook_receiver: status out of range");
    impl_->status = status;
}

void webhook_receiver::set_hanging(bool hanging) { impl_->hanging = hanging; }

void webhook_receiver::go_down() {
    impl_->on_io([this] { impl_->close_all(); });
}

void webhook_receiver::come_back() {
    std::exception_ptr failure;
    impl_->on_io([&] {
        if (impl_->acceptor) return;
        try {
            impl_->listen(port_);
        } catch (...) {
            failure = std::current_exception();
        }
    });
    if (failure) std::rethrow_exception(failure);
}

void webhook_receiver::record(recorded_request r) {
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(r));
    }
    changed_.notify_all();
}

std::vector<recorded_request> webhook_receiver::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t webhook_receiver::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

bool webhook_receiver::wait_for(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                                std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(requests_); });
}

}  // namespace herald::test
