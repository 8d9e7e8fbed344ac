//! GB18030 text (half of the CSV exports seen) to UTF-8, by the Python codec's own table for two-byte
//! characters (handed over once per process), so the text is exactly what that codec gives. Anything
//! else (a four-byte sequence, a byte that is not valid) returns None and the codec decodes the file.

/// ``data`` as UTF-8, or None when it holds anything but ASCII and two-byte characters of ``table``
/// (65,536 little-endian u32 code points by ``lead << 8 | trail``; 0 where the pair is not valid).
pub fn to_utf8(data: &[u8], table: &[u8]) -> Option<Vec<u8>> {
    if table.len() != 65_536 * 4 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 2);
    let mut i = 0;
    while i < data.len() {
        let byte = data[i];
        if byte < 0x80 {
            out.push(byte);
            i += 1;
            continue;
        }
        let trail = *data.get(i + 1)?;
        let at = (usize::from(byte) << 8 | usize::from(trail)) * 4;
        let code = u32::from_le_bytes(table[at..at + 4].try_into().ok()?);
        let character = char::from_u32(code).filter(|_| code != 0)?;
        let mut buffer = [0u8; 4];
        out.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
        i += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_by_the_table_and_declines_the_rest() {
        let mut table = vec![0u8; 65_536 * 4];
        let at = (0xB4usize << 8 | 0xFA) * 4;
        table[at..at + 4].copy_from_slice(&u32::from('代').to_le_bytes());
        assert_eq!(to_utf8(b"a\xb4\xfa", &table), Some("a代".as_bytes().to_vec()));
        assert_eq!(to_utf8(b"\xb4", &table), None);
        assert_eq!(to_utf8(b"\x81\x30\x81\x30", &table), None);
        assert_eq!(to_utf8(b"\xb4\xfb", &table), None);
    }
}
