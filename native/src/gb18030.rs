//! GB18030 text (half of the CSV exports seen) to UTF-8 with ``encoding_rs``, the WHATWG decoder that
//! Firefox uses (four-byte sequences included). The reference path decodes with Python's codec, which
//! maps a few sequences differently (GB18030-2005 private-use code points where the WHATWG table has the
//! characters of GB18030-2022, and a lone byte 0x80 that WHATWG reads as €). A text that holds one of
//! them, or anything that does not decode, returns None and the codec decodes it: both paths give the
//! same text.

use memchr::{memchr, memmem};

/// ``data`` as UTF-8, or None when it does not decode or may decode differently in Python's codec.
pub fn to_utf8(data: &[u8]) -> Option<Vec<u8>> {
    if memchr(0x80, data).is_some() || memmem::find(data, b"\xA3\xA0").is_some() {
        return None;
    }
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = vec![0u8; decoder.max_utf8_buffer_length_without_replacement(data.len())?];
    let (result, read, written) = decoder.decode_to_utf8_without_replacement(data, &mut out, true);
    if !matches!(result, encoding_rs::DecoderResult::InputEmpty) || read != data.len() {
        return None;
    }
    out.truncate(written);
    (!maps_differently(&out)).then_some(out)
}

/// Whether UTF-8 text holds a character the WHATWG table gives for a sequence Python's codec reads as
/// another: vertical punctuation U+FE10–FE19 (A6D9–A6F3), ḿ U+1E3F and its private-use twin U+E7C7 (A8BC,
/// 8135F437), and U+9FB4–9FBB (FE59–FEA0). Each starts with a lead byte, so a byte search finds it.
fn maps_differently(text: &[u8]) -> bool {
    let holds = |prefix: &[u8], last: std::ops::RangeInclusive<u8>| {
        memmem::find_iter(text, prefix).any(|at| text.get(at + prefix.len()).is_some_and(|byte| last.contains(byte)))
    };
    holds(b"\xEF\xB8", 0x90..=0x99) || holds(b"\xE1\xB8", 0xBF..=0xBF) || holds(b"\xEE\x9F", 0x87..=0x87)
        || holds(b"\xE9\xBE", 0xB4..=0xBB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_two_and_four_byte_characters() {
        assert_eq!(to_utf8(b"a\xb4\xfa"), Some("a代".as_bytes().to_vec()));
        assert_eq!(to_utf8(b"\x95\x32\x82\x36"), Some("𠀀".as_bytes().to_vec()));
    }

    #[test]
    fn leaves_to_the_codec_what_it_reads_differently_or_not_at_all() {
        for data in [&b"\xb4"[..], b"\xb4\xfb\xff", b"\x80", b"\xa3\xa0", b"\xa6\xd9", b"\xfe\x59", b"\x81\x35\xf4\x37"] {
            assert_eq!(to_utf8(data), None, "{data:?}");
        }
    }
}
