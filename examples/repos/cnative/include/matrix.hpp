// matrix.hpp - dense row-major matrix.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace cnative {

class Matrix {
public:
    Matrix(std::size_t rows, std::size_t cols, double fill = 0.0);

    static Matrix identity(std::size_t n);

    std::size_t rows() const noexcept { return rows_; }
    std::size_t cols() const noexcept { return cols_; }

    double& at(std::size_t r, std::size_t c);
    double at(std::size_t r, std::size_t c) const;

    Matrix operator*(const Matrix& other) const;
    Matrix transposed() const;

private:
    std::size_t rows_;
    std::size_t cols_;
    std::vector<double> data_;
};

}  // namespace cnative
