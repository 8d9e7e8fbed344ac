//! Raw-record tables (format B, and format-A values read by other readers) seen through their Arrow
//! buffers: every field is text or null, the code cells a list of text.

use std::borrow::Cow;

use crate::field::{Declined, Fast, Field};
use crate::json::keep_code_cells;
use crate::record::{RawRecord, FIELDS};

/// A view of an Arrow UTF-8 array (``offset`` is the array's slice offset).
#[derive(Debug, Clone, Copy, Default)]
pub struct Texts<'a> {
    pub validity: Option<&'a [u8]>,
    pub offsets: &'a [u8],
    pub data: &'a [u8],
    pub offset: usize,
}

fn is_set(bitmap: Option<&[u8]>, index: usize) -> bool {
    bitmap.is_none_or(|bits| bits[index / 8] >> (index % 8) & 1 == 1)
}

fn offset_at(offsets: &[u8], index: usize) -> usize {
    let bytes: [u8; 4] = offsets[index * 4..index * 4 + 4].try_into().expect("four bytes");
    i32::from_le_bytes(bytes) as usize
}

impl<'a> Texts<'a> {
    pub fn get(&self, row: usize) -> Fast<Option<&'a str>> {
        let index = row + self.offset;
        if !is_set(self.validity, index) {
            return Ok(None);
        }
        let bytes = &self.data[offset_at(self.offsets, index)..offset_at(self.offsets, index + 1)];
        std::str::from_utf8(bytes).map(Some).map_err(|_| Declined)
    }
}

/// A view of an Arrow ``list<string>`` array.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextLists<'a> {
    pub validity: Option<&'a [u8]>,
    pub offsets: &'a [u8],
    pub offset: usize,
    pub items: Texts<'a>,
}

impl<'a> TextLists<'a> {
    /// The code cells of a row that are not empty.
    pub fn cells(&self, row: usize) -> Fast<Vec<Cow<'a, str>>> {
        let index = row + self.offset;
        if !is_set(self.validity, index) {
            return Ok(Vec::new());
        }
        let mut cells = Vec::new();
        for item in offset_at(self.offsets, index)..offset_at(self.offsets, index + 1) {
            cells.extend(self.items.get(item)?.map(Cow::Borrowed));
        }
        keep_code_cells(cells)
    }
}

/// The columns of a raw table the fast path reads.
#[derive(Debug, Default)]
pub struct RawColumns<'a> {
    pub fields: Vec<Option<Texts<'a>>>,
    pub codes: Option<TextLists<'a>>,
    pub lines: &'a [u8],
    pub indexes: &'a [u8],
    pub files: &'a [u8],
    /// One byte per row: 1 when the reader already found the row unusable.
    pub errors: &'a [u8],
}

impl<'a> RawColumns<'a> {
    pub fn record(&self, row: usize) -> Fast<RawRecord<'a>> {
        if self.errors[row] != 0 {
            return Err(Declined);
        }
        let mut record = RawRecord {
            line: i64::from_le_bytes(self.lines[row * 8..row * 8 + 8].try_into().expect("eight bytes")),
            index: i32::from_le_bytes(self.indexes[row * 4..row * 4 + 4].try_into().expect("four bytes")),
            file: i32::from_le_bytes(self.files[row * 4..row * 4 + 4].try_into().expect("four bytes")),
            ..RawRecord::default()
        };
        for (position, column) in self.fields.iter().enumerate().take(FIELDS.len()) {
            if let Some(texts) = column {
                record.fields[position] = texts.get(row)?.map_or(Field::Missing, |t| Field::Text(Cow::Borrowed(t)));
            }
        }
        record.codes = self.codes.map_or(Ok(Vec::new()), |codes| codes.cells(row))?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn reads_text_with_nulls_and_slices() {
        let offs = offsets(&[0, 1, 1, 3]);
        let texts = Texts { validity: Some(&[0b101]), offsets: &offs, data: b"xyz", offset: 1 };
        assert_eq!(texts.get(0), Ok(None));
        assert_eq!(texts.get(1), Ok(Some("yz")));
    }

    #[test]
    fn list_cells_drop_empty_and_decline_odd_padding() {
        let item_offsets = offsets(&[0, 2, 2, 5]);
        let items = Texts { validity: None, offsets: &item_offsets, data: b"81\t82", offset: 0 };
        let list_offsets = offsets(&[0, 2, 3]);
        let lists = TextLists { validity: None, offsets: &list_offsets, offset: 0, items };
        assert_eq!(lists.cells(0), Ok(vec![Cow::Borrowed("81")]));
        assert_eq!(lists.cells(1), Err(Declined));
    }
}
