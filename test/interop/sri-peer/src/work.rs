//! Header bytes and targets for the CPU search (sv2.md §6.3-§6.4): header = version LE |
//! prev_hash | merkle_root | ntime LE | nbits LE | nonce LE, all U256 as on the wire; a hash
//! meets a target when hash <= target as little-endian integers (bitcoin::Target's order).

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::Target;

pub fn header(
    version: u32,
    prev_hash: &[u8; 32],
    merkle_root: &[u8; 32],
    ntime: u32,
    nbits: u32,
) -> [u8; 80] {
    let mut h = [0u8; 80];
    h[0..4].copy_from_slice(&version.to_le_bytes());
    h[4..36].copy_from_slice(prev_hash);
    h[36..68].copy_from_slice(merkle_root);
    h[68..72].copy_from_slice(&ntime.to_le_bytes());
    h[72..76].copy_from_slice(&nbits.to_le_bytes());
    h
}

pub fn hash_with_nonce(h: &mut [u8; 80], nonce: u32) -> [u8; 32] {
    h[76..80].copy_from_slice(&nonce.to_le_bytes());
    sha256d::Hash::hash(h).to_byte_array()
}

pub fn meets(hash: &[u8; 32], target: &Target) -> bool {
    Target::from_le_bytes(*hash) <= *target
}

/// target = (0xffff << 208) / difficulty, computed on the top 48 bits (enough for the easy test
/// difficulties used here); saturates to the all-ones target.
pub fn difficulty_to_target(difficulty: f64) -> Target {
    let x = 65535.0 / difficulty;
    if !x.is_finite() || x >= 281_474_976_710_656.0 {
        return Target::from_le_bytes([0xff; 32]);
    }
    let m = x as u64;
    let mut le = [0u8; 32];
    for (i, b) in le[26..32].iter_mut().enumerate() {
        *b = (m >> (8 * i)) as u8;
    }
    Target::from_le_bytes(le)
}
