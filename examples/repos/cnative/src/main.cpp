#include <cstdint>
#include <iostream>

#include "matrix.hpp"
#include "ringbuf.h"
#include "vec.h"

int main() {
    cnative::Vec3f a({1.0f, 2.0f, 2.0f});
    std::cout << "a = " << a << ", |a| = " << a.norm() << '\n';

    cnative::Matrix m = cnative::Matrix::identity(3);
    m.at(0, 2) = 4.0;
    cnative::Matrix p = m * m.transposed();
    std::cout << "p(0,0) = " << p.at(0, 0) << '\n';

    ringbuf_t rb;
    if (ringbuf_init(&rb, 8) != 0) return 1;
    const std::uint8_t msg[] = {'h', 'e', 'l', 'l', 'o'};
    ringbuf_write(&rb, msg, sizeof msg);
    std::uint8_t out[8] = {};
    std::size_t n = ringbuf_read(&rb, out, sizeof out);
    std::cout.write(reinterpret_cast<const char*>(out), static_cast<std::streamsize>(n)) << '\n';
    ringbuf_free(&rb);
    return 0;
}
