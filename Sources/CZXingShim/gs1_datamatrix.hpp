// GS1 DataMatrix encoding for the frame synthesizers. zxing-cpp 1.4's Data Matrix writer has no way to write FNC1
// (codeword 232), which a GS1 DataMatrix needs in first position and as the separator after a variable-length element
// string; this writes the symbol from the standard instead (ISO/IEC 16022: ASCII encodation, Reed-Solomon over
// GF(256) with the polynomial x^8+x^5+x^3+x^2+1, the "utah" module placement). Square sizes 10×10 to 26×26 (one data
// region, one Reed-Solomon block) hold up to 44 codewords: an SSCC ("00" + 18 digits: 11 codewords) fits 16×16.
// The symbols it writes are checked by reading them back with zxing-cpp (Tests/VisionTests/CaseFrameTests.swift).
// Private to the shim (not in include/: Swift never sees C++).
#pragma once
#include <ZXing/BitMatrix.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace czx {
namespace {

struct DataMatrixSize {
    int side, dataCodewords, eccCodewords;
};

// Square ECC 200 symbols with a single data region (side − 2 modules of data each way).
const DataMatrixSize dataMatrixSizes[] = {{10, 3, 5},   {12, 5, 7},   {14, 8, 10},  {16, 12, 12}, {18, 18, 14},
                                          {20, 22, 18}, {22, 30, 20}, {24, 36, 24}, {26, 44, 28}};

/// GF(256) with the Data Matrix field polynomial 0x12D.
struct Field256 {
    int exp[512], log[256];
    Field256() {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            exp[i] = x;
            log[x] = i;
            x <<= 1;
            if (x & 0x100) x ^= 0x12D;
        }
        for (int i = 255; i < 512; i++) exp[i] = exp[i - 255];
        log[0] = 0;
    }
    int multiply(int a, int b) const { return a == 0 || b == 0 ? 0 : exp[log[a] + log[b]]; }
};

/// The Reed-Solomon check codewords of `data`: the remainder of data(x)·x^n by (x − α)(x − α²)…(x − αⁿ).
std::vector<int> reedSolomon(const std::vector<int> &data, int n) {
    static const Field256 field;
    std::vector<int> generator = {1};  // highest degree first
    for (int i = 1; i <= n; i++) {
        std::vector<int> next(generator.size() + 1, 0);
        for (size_t j = 0; j < generator.size(); j++) {
            next[j] ^= generator[j];
            next[j + 1] ^= field.multiply(generator[j], field.exp[i]);
        }
        generator = next;
    }
    std::vector<int> message(data);
    message.resize(data.size() + n, 0);
    for (size_t i = 0; i < data.size(); i++) {
        int coefficient = message[i];
        if (coefficient == 0) continue;
        for (int j = 1; j <= n; j++) message[i + j] ^= field.multiply(generator[j], coefficient);
    }
    return std::vector<int>(message.begin() + data.size(), message.end());
}

/// ASCII encodation with FNC1 first: digit pairs as 130 + value, other characters as value + 1, GS as FNC1.
std::vector<int> gs1Codewords(const std::string &text) {
    std::vector<int> codewords = {232};
    for (size_t i = 0; i < text.size(); i++) {
        unsigned char c = (unsigned char)text[i];
        bool pair = i + 1 < text.size() && c >= '0' && c <= '9' && text[i + 1] >= '0' && text[i + 1] <= '9';
        if (pair) {
            codewords.push_back(130 + (c - '0') * 10 + (text[i + 1] - '0'));
            i++;
        } else if (c == 0x1D) {
            codewords.push_back(232);
        } else if (c < 128) {
            codewords.push_back(c + 1);
        } else {
            throw std::invalid_argument("GS1 element strings are ASCII");
        }
    }
    return codewords;
}

/// ISO/IEC 16022 annex F: places the codewords' bits in the nrow×ncol data region.
class Placement {
public:
    Placement(int nrow, int ncol, const std::vector<int> &codewords)
        : nrow(nrow), ncol(ncol), bits(nrow * ncol, -1), codewords(codewords) {
        int pos = 0, row = 4, col = 0;
        do {
            if (row == nrow && col == 0) corner1(pos++);
            if (row == nrow - 2 && col == 0 && ncol % 4) corner2(pos++);
            if (row == nrow - 2 && col == 0 && ncol % 8 == 4) corner3(pos++);
            if (row == nrow + 4 && col == 2 && !(ncol % 8)) corner4(pos++);
            do {  // up and to the right
                if (row < nrow && col >= 0 && at(row, col) < 0) utah(row, col, pos++);
                row -= 2;
                col += 2;
            } while (row >= 0 && col < ncol);
            row += 1;
            col += 3;
            do {  // down and to the left
                if (row >= 0 && col < ncol && at(row, col) < 0) utah(row, col, pos++);
                row += 2;
                col -= 2;
            } while (row < nrow && col >= 0);
            row += 3;
            col += 1;
        } while (row < nrow || col < ncol);
        if (at(nrow - 1, ncol - 1) < 0) {  // the fixed pattern in the lower right corner
            at(nrow - 1, ncol - 1) = 1;
            at(nrow - 2, ncol - 1) = 0;
            at(nrow - 1, ncol - 2) = 0;
            at(nrow - 2, ncol - 2) = 1;
        }
    }

    int &at(int row, int col) { return bits[row * ncol + col]; }

private:
    int nrow, ncol;
    std::vector<int> bits;
    const std::vector<int> &codewords;

    void module(int row, int col, int pos, int bit) {
        if (row < 0) {
            row += nrow;
            col += 4 - ((nrow + 4) % 8);
        }
        if (col < 0) {
            col += ncol;
            row += 4 - ((ncol + 4) % 8);
        }
        int value = pos < (int)codewords.size() ? codewords[pos] : 0;
        at(row, col) = (value >> (8 - bit)) & 1;
    }
    void utah(int row, int col, int pos) {
        module(row - 2, col - 2, pos, 1);
        module(row - 2, col - 1, pos, 2);
        module(row - 1, col - 2, pos, 3);
        module(row - 1, col - 1, pos, 4);
        module(row - 1, col, pos, 5);
        module(row, col - 2, pos, 6);
        module(row, col - 1, pos, 7);
        module(row, col, pos, 8);
    }
    void corner1(int pos) {
        module(nrow - 1, 0, pos, 1);
        module(nrow - 1, 1, pos, 2);
        module(nrow - 1, 2, pos, 3);
        module(0, ncol - 2, pos, 4);
        module(0, ncol - 1, pos, 5);
        module(1, ncol - 1, pos, 6);
        module(2, ncol - 1, pos, 7);
        module(3, ncol - 1, pos, 8);
    }
    void corner2(int pos) {
        module(nrow - 3, 0, pos, 1);
        module(nrow - 2, 0, pos, 2);
        module(nrow - 1, 0, pos, 3);
        module(0, ncol - 4, pos, 4);
        module(0, ncol - 3, pos, 5);
        module(0, ncol - 2, pos, 6);
        module(0, ncol - 1, pos, 7);
        module(1, ncol - 1, pos, 8);
    }
    void corner3(int pos) {
        module(nrow - 3, 0, pos, 1);
        module(nrow - 2, 0, pos, 2);
        module(nrow - 1, 0, pos, 3);
        module(0, ncol - 2, pos, 4);
        module(0, ncol - 1, pos, 5);
        module(1, ncol - 1, pos, 6);
        module(2, ncol - 1, pos, 7);
        module(3, ncol - 1, pos, 8);
    }
    void corner4(int pos) {
        module(nrow - 1, 0, pos, 1);
        module(nrow - 1, ncol - 1, pos, 2);
        module(0, ncol - 3, pos, 3);
        module(0, ncol - 2, pos, 4);
        module(0, ncol - 1, pos, 5);
        module(1, ncol - 3, pos, 6);
        module(1, ncol - 2, pos, 7);
        module(1, ncol - 1, pos, 8);
    }
};

/// A GS1 DataMatrix of `text` (element strings, GS between a variable-length one and the next), without quiet zone.
ZXing::BitMatrix gs1DataMatrix(const std::string &text) {
    std::vector<int> codewords = gs1Codewords(text);
    const DataMatrixSize *size = nullptr;
    for (const auto &candidate : dataMatrixSizes)
        if ((int)codewords.size() <= candidate.dataCodewords) {
            size = &candidate;
            break;
        }
    if (size == nullptr)
        throw std::invalid_argument("GS1 text of " + std::to_string(codewords.size()) + " codewords is longer than a 26×26 Data Matrix holds (44)");
    // Padding: 129 first, then 129 scrambled by the 253-state algorithm.
    if ((int)codewords.size() < size->dataCodewords) codewords.push_back(129);
    while ((int)codewords.size() < size->dataCodewords) {
        int position = (int)codewords.size() + 1;
        int value = 129 + ((149 * position) % 253) + 1;
        codewords.push_back(value <= 254 ? value : value - 254);
    }
    std::vector<int> ecc = reedSolomon(codewords, size->eccCodewords);
    codewords.insert(codewords.end(), ecc.begin(), ecc.end());
    const int n = size->side - 2;
    Placement placement(n, n, codewords);
    ZXing::BitMatrix matrix(size->side, size->side);
    for (int i = 0; i < size->side; i++) {
        matrix.set(0, i, true);                              // the solid left edge
        matrix.set(i, size->side - 1, true);                 // the solid bottom edge
        matrix.set(i, 0, i % 2 == 0);                        // the alternating top edge
        matrix.set(size->side - 1, i, i % 2 == 1);           // the alternating right edge
    }
    for (int row = 0; row < n; row++)
        for (int col = 0; col < n; col++) matrix.set(col + 1, row + 1, placement.at(row, col) == 1);
    return matrix;
}

} // namespace
} // namespace czx
