// An allocator for the completion handler of an operation a connection keeps pending for its
// whole life (an idle stream's wait for readability). Asio's default takes such memory from a
// per-thread recycling cache, which hands out whatever larger block it last held (a Beast timer
// wait of 272 bytes for a 100-byte wait), and that block then stays pinned for as long as the
// connection stays idle. This one asks malloc for exactly the operation's size.
// Stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <new>

namespace herald::sidecar {

template <typename T>
struct exact_allocator {
    using value_type = T;

    exact_allocator() noexcept = default;
    template <typename U>
    exact_allocator(const exact_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignof(T)})); }
    // Unsized: clang (14) declares the sized aligned delete only with -fsized-deallocation.
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{alignof(T)}); }

    template <typename U>
    bool operator==(const exact_allocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace herald::sidecar
