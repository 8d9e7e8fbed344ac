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
    let text = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(data)?;
    if text.chars().any(maps_differently) {
        return None;
    }
    Some(text.into_owned().into_bytes())
}

/// Characters the WHATWG table gives for sequences that Python's codec reads as other characters:
/// vertical punctuation (A6D9–A6F3), ḿ and its private-use twin (A8BC, 8135F437), and the CJK characters
/// of FE59–FEA0.
fn maps_differently(c: char) -> bool {
    matches!(c, '\u{FE10}'..='\u{FE19}' | '\u{1E3F}' | '\u{E7C7}' | '\u{9FB4}'..='\u{9FBB}')
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
