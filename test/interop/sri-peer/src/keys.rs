//! Authority key strings (sv2.md §3.6): public = Base58Check(01 00 || x-only), secret =
//! Base58Check(32 bytes) or plain hex. Base58Check comes from the bitcoin crate (base58ck);
//! key validity from secp256k1 0.28 (the version noise_sv2 2.0.0 is built on).

use crate::out::unhex;
use bitcoin::base58;
use secp256k1::{Keypair, Secp256k1, SecretKey, XOnlyPublicKey};

pub fn parse_secret(s: &str) -> Result<SecretKey, String> {
    let bytes = if s.len() == 64 {
        unhex(s).ok_or("authority secret: bad hex")?
    } else {
        base58::decode_check(s).map_err(|e| format!("authority secret: {e}"))?
    };
    SecretKey::from_slice(&bytes).map_err(|e| format!("authority secret: {e}"))
}

pub fn xonly_of(secret: &SecretKey) -> XOnlyPublicKey {
    Keypair::from_secret_key(&Secp256k1::new(), secret)
        .x_only_public_key()
        .0
}

/// The 51-character string pools publish and miners configure.
pub fn encode_public(pk: &XOnlyPublicKey) -> String {
    let mut payload = vec![0x01, 0x00];
    payload.extend_from_slice(&pk.serialize());
    base58::encode_check(&payload)
}

/// Base58Check(01 00 || x-only) or 64 hex characters of the bare x-only key.
pub fn parse_public(s: &str) -> Result<XOnlyPublicKey, String> {
    let key = if s.len() == 64 {
        unhex(s).ok_or("authority pubkey: bad hex")?
    } else {
        let payload = base58::decode_check(s).map_err(|e| format!("authority pubkey: {e}"))?;
        if payload.len() != 34 || payload[0] != 0x01 || payload[1] != 0x00 {
            return Err(format!(
                "authority pubkey: want 34-byte payload with version 01 00, got {} bytes",
                payload.len()
            ));
        }
        payload[2..].to_vec()
    };
    XOnlyPublicKey::from_slice(&key).map_err(|e| format!("authority pubkey: {e}"))
}
