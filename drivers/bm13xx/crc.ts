/**
 * CRC5 (BM13xx commands and replies) and CRC16 (job frames), bm13xx.md §1.3, §1.4 and §2.1.
 * CRC5: poly x^5+x^2+1, init 0x1F, MSB-first, no reflection, no xorout; bit-serial because replies
 * feed a partial last byte (3 TYPE bits). CRC16: CCITT-FALSE (poly 0x1021, init 0xFFFF), table-driven.
 * Neither function includes the 55 AA / AA 55 preamble: callers pass the bytes after it.
 */

/**
 * CRC5 over the first `bitLength` bits of `bytes`, MSB of each byte first. `bitLength` defaults
 * to every bit; a reply's CRC covers its payload plus the 3 TYPE bits of the last byte (§2.1).
 */
export function crc5(bytes: Uint8Array, bitLength: number = bytes.length * 8): number {
  if (bitLength < 0 || bitLength > bytes.length * 8) {
    throw new RangeError(`crc5: bitLength ${bitLength} outside 0..${bytes.length * 8}`);
  }
  let crc = 0x1f;
  for (let i = 0; i < bitLength; i++) {
    const byte = bytes[i >> 3] ?? 0;
    const bit = (byte >> (7 - (i & 7))) & 1;
    const fb = ((crc >> 4) & 1) ^ bit;
    crc = (((crc << 1) | fb) ^ (fb << 2)) & 0x1f;
  }
  return crc;
}

const CRC16_TABLE = buildCrc16Table();

/** CRC-16/CCITT-FALSE over all of `bytes`; job frames append it MSB-first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc = ((crc << 8) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  }
  return crc;
}

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[n] = c;
  }
  return table;
}
