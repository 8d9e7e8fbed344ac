//! Format B CSV files read one physical line per record with ``csv-core`` (the parser of the ``csv``
//! crate), by the rules of ``loaders/csv_lines.py``: a line ends with LF, CRLF or CR alone, the header is
//! the first non-blank line, blank lines (Unicode whitespace only) are skipped, a field starting with
//! ``"`` is quoted (``""`` is a quote inside it, text after the closing quote belongs to the value) and a
//! value never spans lines. A line whose quotes do not balance, or that has another number of values than
//! the header, is broken: it is reported, and reading goes on with the next line.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder, Terminator};

/// One data row: its physical line number (the first line is 1) and its values.
pub struct Row {
    pub line: i64,
    text: String,
    ends: Vec<usize>,
}

impl Row {
    /// The value in ``column`` (which must be below the header's column count).
    pub fn cell(&self, column: usize) -> &str {
        let start = if column == 0 { 0 } else { self.ends[column - 1] };
        &self.text[start..self.ends[column]]
    }

    pub fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|column| self.cell(column))
    }
}

/// Why a line holds no record (the kinds ``loaders/csv_lines.py`` numbers the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    UnbalancedQuote = 0,
    /// Another number of values than the header's (the number found).
    Columns = 1,
}

/// A line that holds no record: its number, text, why, and how many values it has (for ``Columns``).
pub struct BrokenLine<'a> {
    pub line: i64,
    pub text: &'a str,
    pub kind: Broken,
    pub found: usize,
}

/// The rows and broken lines of a UTF-8 CSV text whose header has ``columns`` columns.
pub fn read(text: &str, delimiter: u8, columns: usize) -> (Vec<Row>, Vec<BrokenLine<'_>>) {
    let mut parser = LineParser::new(delimiter);
    let (mut rows, mut broken) = (Vec::new(), Vec::new());
    let mut header = true;
    for (index, line) in lines(text).enumerate() {
        if line.chars().all(char::is_whitespace) || std::mem::replace(&mut header, false) {
            continue; // a blank line, or the header (the first line that is not blank)
        }
        let number = index as i64 + 1;
        match parser.row(line, number) {
            None => broken.push(BrokenLine { line: number, text: line, kind: Broken::UnbalancedQuote, found: 0 }),
            Some(row) if row.ends.len() != columns => {
                broken.push(BrokenLine { line: number, text: line, kind: Broken::Columns, found: row.ends.len() });
            }
            Some(row) => rows.push(row),
        }
    }
    (rows, broken)
}

/// The physical lines of a text, without their endings (LF, CRLF or CR alone).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let end = memchr::memchr2(b'\n', b'\r', &bytes[from..]).map_or(bytes.len(), |at| from + at);
        let crlf = bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n');
        start = (end < bytes.len()).then_some(end + 1 + usize::from(crlf));
        Some(&text[from..end])
    })
}

/// The values of one line (without its ending), or None when its quotes do not balance.
pub fn line_cells(line: &str, delimiter: u8) -> Option<Vec<String>> {
    LineParser::new(delimiter).row(line, 0).map(|row| row.cells().map(str::to_owned).collect())
}

/// A csv-core reader fed one line at a time.
struct LineParser {
    reader: Reader,
    ends: Vec<usize>,
}

impl LineParser {
    fn new(delimiter: u8) -> Self {
        let reader = ReaderBuilder::new().delimiter(delimiter).terminator(Terminator::Any(b'\n')).build();
        LineParser { reader, ends: vec![0; 64] }
    }

    /// The values of one line (its ending removed), or None when a quoted value is still open at its end.
    fn row(&mut self, line: &str, number: i64) -> Option<Row> {
        let mut out = vec![0u8; line.len()];
        let (mut input, mut written, mut fields) = (line.as_bytes(), 0, 0);
        let mut ended = false;
        loop {
            let (result, read, wrote, found) =
                self.reader.read_record(input, &mut out[written..], &mut self.ends[fields..]);
            input = &input[read..];
            written += wrote;
            fields += found;
            match result {
                ReadRecordResult::Record => break,
                ReadRecordResult::InputEmpty if !ended => (input, ended) = (b"\n", true),
                ReadRecordResult::OutputFull => out.resize(out.len() * 2 + 1, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::InputEmpty | ReadRecordResult::End => {
                    self.reader.reset();
                    return None;
                }
            }
        }
        out.truncate(written);
        let text = String::from_utf8(out).ok()?;
        Some(Row { line: number, text, ends: self.ends[..fields].to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(row: &Row) -> Vec<&str> {
        row.cells().collect()
    }

    #[test]
    fn reads_quotes_and_skips_blank_lines_and_the_header() {
        let text = "\n a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n \t\u{3000}\r\n2,,\na\"b,\"c\"d,\"\"\n";
        let (rows, broken) = read(text, b',', 3);
        assert!(broken.is_empty());
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5, 6]);
        assert_eq!(cells(&rows[0]), vec!["1", "x,y", "say \"hi\""]);
        assert_eq!(cells(&rows[1]), vec!["2", "", ""]);
        assert_eq!(cells(&rows[2]), vec!["a\"b", "cd", ""]);
    }

    #[test]
    fn a_broken_line_is_one_report_and_reading_goes_on() {
        let text = "h,h\n1,\"open\n2,3\n1,2,3\n4\r5,6\r\n\"a\"\"\n\u{3000}\n7,8";
        let (rows, broken) = read(text, b',', 2);
        let found: Vec<_> = broken.iter().map(|b| (b.line, b.kind, b.found, b.text)).collect();
        assert_eq!(found, vec![(2, Broken::UnbalancedQuote, 0, "1,\"open"), (4, Broken::Columns, 3, "1,2,3"),
                               (5, Broken::Columns, 1, "4"), (7, Broken::UnbalancedQuote, 0, "\"a\"\"")]);
        let read: Vec<_> = rows.iter().map(|r| (r.line, cells(r))).collect();
        assert_eq!(read, vec![(3, vec!["2", "3"]), (6, vec!["5", "6"]), (9, vec!["7", "8"])]);
    }

    #[test]
    fn lines_end_with_lf_crlf_or_cr() {
        assert_eq!(lines("a\r\nb\rc\n\nd").collect::<Vec<_>>(), vec!["a", "b", "c", "", "d"]);
        assert_eq!(lines("a\n").collect::<Vec<_>>(), vec!["a", ""]);
    }
}
