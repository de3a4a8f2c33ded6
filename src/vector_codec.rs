//! How a cached vector is written: base64 of its little-endian f32 bytes.
//! IndexedDB clones one short string far faster than an array of 384 JS
//! numbers, and wasm reads it in one crossing instead of one per number,
//! which made up most of `select`'s time over a few hundred attributes.
//! Rows written as plain number arrays (schema v3/v4) still read.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 255;
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

pub fn encode(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

pub fn decode(text: &str) -> Result<Vec<f32>, String> {
    let text = text.trim_end_matches('=');
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = VALUES[c as usize];
        if v == INVALID {
            return Err(format!("invalid base64 character {:?}", c as char));
        }
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    if bytes.len() % 4 != 0 {
        return Err(format!("{} bytes is not a whole number of f32 values", bytes.len()));
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

pub fn serialize<S: Serializer>(vector: &[f32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(vector))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
    struct VectorVisitor;
    impl<'de> Visitor<'de> for VectorVisitor {
        type Value = Vec<f32>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a base64 string of f32 values, or an array of numbers")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<f32>, E> {
            decode(v).map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f32>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(x) = seq.next_element::<f32>()? {
                out.push(x);
            }
            Ok(out)
        }
    }
    d.deserialize_any(VectorVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly_and_reads_old_number_arrays() {
        for v in [vec![], vec![1.0], vec![0.5, -2.25], vec![f32::MIN_POSITIVE, 3.0e-12, -0.0, 123456.78]] {
            assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
        let v: Vec<f32> = (0..384).map(|i| (i as f32 * 0.37).sin()).collect();
        assert_eq!(encode(&v).len(), 2048, "1536 bytes: 4 characters per 3 bytes");
        assert_eq!(decode(&encode(&v)).unwrap(), v);

        #[derive(serde::Deserialize, serde::Serialize)]
        struct Row {
            #[serde(with = "super")]
            vector: Vec<f32>,
        }
        let old: Row = serde_json::from_str(r#"{"vector": [0.25, -1.5]}"#).unwrap();
        assert_eq!(old.vector, [0.25, -1.5]);
        let json = serde_json::to_string(&Row { vector: vec![0.25, -1.5] }).unwrap();
        assert!(json.contains(r#""vector":""#), "{json}");
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap().vector, [0.25, -1.5]);
        // Rows are read through the store's untagged plain-or-sealed enum: both forms survive it.
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Plain(Row),
            #[allow(dead_code)]
            Sealed {
                sealed: String,
            },
        }
        for text in [json.as_str(), r#"{"vector": [0.25, -1.5]}"#] {
            let Stored::Plain(row) = serde_json::from_str(text).unwrap() else { panic!("{text}") };
            assert_eq!(row.vector, [0.25, -1.5]);
        }
        assert!(decode("AAA*").is_err());
        assert!(decode("AAAAAAA=").is_err(), "5 bytes");
    }
}
