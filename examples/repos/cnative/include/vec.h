// vec.h - small fixed-size vector type. This header is C++ despite the .h
// extension (templates, namespaces, classes, operator overloading).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <ostream>

namespace cnative {

template <typename T, std::size_t N>
class Vec {
public:
    Vec() { values_.fill(T{}); }
    explicit Vec(const std::array<T, N>& values) : values_(values) {}

    T& operator[](std::size_t i) { return values_[i]; }
    const T& operator[](std::size_t i) const { return values_[i]; }

    Vec operator+(const Vec& other) const {
        Vec out;
        for (std::size_t i = 0; i < N; ++i) out[i] = values_[i] + other[i];
        return out;
    }

    Vec operator*(T scale) const {
        Vec out;
        for (std::size_t i = 0; i < N; ++i) out[i] = values_[i] * scale;
        return out;
    }

    T dot(const Vec& other) const {
        T sum{};
        for (std::size_t i = 0; i < N; ++i) sum += values_[i] * other[i];
        return sum;
    }

    double norm() const { return std::sqrt(static_cast<double>(dot(*this))); }

private:
    std::array<T, N> values_;
};

template <typename T, std::size_t N>
std::ostream& operator<<(std::ostream& os, const Vec<T, N>& v) {
    os << '(';
    for (std::size_t i = 0; i < N; ++i) os << (i ? ", " : "") << v[i];
    return os << ')';
}

using Vec3f = Vec<float, 3>;

}  // namespace cnative
