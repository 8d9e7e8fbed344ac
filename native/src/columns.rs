//! Column builders in Arrow's memory layout (validity bitmap, int32 offsets + UTF-8 data, or plain
//! values), so Python wraps the buffers as Arrow arrays without converting values one by one.

/// A validity bitmap, least significant bit first, as Arrow lays it out.
#[derive(Debug, Default)]
pub struct Validity {
    bits: Vec<u8>,
    len: usize,
    nulls: usize,
}

impl Validity {
    pub fn push(&mut self, valid: bool) {
        if self.len % 8 == 0 {
            self.bits.push(0);
        }
        if valid {
            *self.bits.last_mut().expect("a byte was pushed") |= 1 << (self.len % 8);
        } else {
            self.nulls += 1;
        }
        self.len += 1;
    }

    /// The bitmap, or None when every value is present (Arrow's shortcut).
    pub fn bitmap(&self) -> Option<&[u8]> {
        (self.nulls > 0).then_some(self.bits.as_slice())
    }

    pub fn into_bitmap(self) -> Option<Buffer> {
        (self.nulls > 0).then_some(Buffer::Bytes(self.bits))
    }
}

/// A nullable UTF-8 column.
#[derive(Debug)]
pub struct Strings {
    pub offsets: Vec<i32>,
    pub data: Vec<u8>,
    pub validity: Validity,
}

impl Default for Strings {
    fn default() -> Self {
        Strings { offsets: vec![0], data: Vec::new(), validity: Validity::default() }
    }
}

impl Strings {
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(text) = value {
            self.data.extend_from_slice(text.as_bytes());
        }
        self.close(value.is_some());
    }

    /// Append pieces as one value.
    pub fn push_joined(&mut self, pieces: &[&str]) {
        for piece in pieces {
            self.data.extend_from_slice(piece.as_bytes());
        }
        self.close(true);
    }

    fn close(&mut self, valid: bool) {
        let end = i32::try_from(self.data.len()).expect("a column holds less than 2 GiB of text");
        self.offsets.push(end);
        self.validity.push(valid);
    }

    /// (validity, [offsets, data]) without copying.
    pub fn into_buffers(self) -> (Option<Buffer>, Vec<Buffer>) {
        (self.validity.into_bitmap(), vec![Buffer::I32(self.offsets), Buffer::Bytes(self.data)])
    }
}

/// A nullable column of fixed-width values (i32, i64, f64; timestamps as i64 microseconds).
#[derive(Debug, Default)]
pub struct Values<T> {
    pub values: Vec<T>,
    pub validity: Validity,
}

impl<T: Copy + Default + ToLeBytes> Values<T> {
    pub fn push(&mut self, value: Option<T>) {
        self.values.push(value.unwrap_or_default());
        self.validity.push(value.is_some());
    }

    /// (validity, [values]) without copying.
    pub fn into_buffers(self) -> (Option<Buffer>, Vec<Buffer>) {
        (self.validity.into_bitmap(), vec![T::buffer(self.values)])
    }
}

/// A finished column buffer, handed to Python as is (Arrow buffers are little-endian; so is x86-64).
#[derive(Debug)]
pub enum Buffer {
    Bytes(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl Buffer {
    pub fn as_bytes(&self) -> &[u8] {
        fn raw<T>(values: &[T]) -> &[u8] {
            // SAFETY: plain numbers without padding, viewed as the bytes they occupy.
            unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values)) }
        }
        match self {
            Buffer::Bytes(v) => v,
            Buffer::I32(v) => raw(v),
            Buffer::I64(v) => raw(v),
            Buffer::F64(v) => raw(v),
        }
    }
}

/// Fixed-width values that become a [`Buffer`].
pub trait ToLeBytes: Sized {
    fn buffer(values: Vec<Self>) -> Buffer;
}

impl ToLeBytes for i32 {
    fn buffer(values: Vec<Self>) -> Buffer {
        Buffer::I32(values)
    }
}

impl ToLeBytes for i64 {
    fn buffer(values: Vec<Self>) -> Buffer {
        Buffer::I64(values)
    }
}

impl ToLeBytes for f64 {
    fn buffer(values: Vec<Self>) -> Buffer {
        Buffer::F64(values)
    }
}

/// A non-null boolean column, bit-packed.
#[derive(Debug, Default)]
pub struct Flags {
    pub bits: Validity,
}

impl Flags {
    pub fn push(&mut self, value: bool) {
        self.bits.push(value);
    }

    pub fn into_buffers(self) -> (Option<Buffer>, Vec<Buffer>) {
        (None, vec![Buffer::Bytes(self.bits.bits)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_offsets_and_nulls() {
        let mut column = Strings::default();
        column.push(Some("ab"));
        column.push(None);
        column.push_joined(&["c", "#", "1"]);
        assert_eq!(column.offsets, vec![0, 2, 2, 5]);
        assert_eq!(column.validity.bitmap(), Some(&[0b101u8][..]));
    }

    #[test]
    fn values_without_nulls_have_no_bitmap() {
        let mut column = Values::<i32>::default();
        column.push(Some(7));
        assert_eq!(column.validity.bitmap(), None);
        assert_eq!(column.into_buffers().1[0].as_bytes(), &[7, 0, 0, 0]);
    }
}
