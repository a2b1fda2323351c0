/*
 * legacy_crc.c - CRC-32 (IEEE 802.3) without a lookup table.
 *
 * Original routine by Jürgen Müller, 1998. Ported from the old
 * firmware tree; this file is still stored in ISO-8859-1 (Latin-1).
 * © 1998 Jürgen Müller - Straße 12, Köln
 */
#include <stddef.h>
#include <stdint.h>

uint32_t legacy_crc32(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc; /* größer als null: äöü */
}
