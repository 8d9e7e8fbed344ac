//! Format B CSV files read in one pass, the way the project's Arrow CSV reader reads them: the first
//! line is the header, empty lines are skipped, ``"`` quotes a whole field (``""`` is a quote inside
//! it) and a value never spans lines. A file with anything else (a row with another number of
//! columns, a quote inside a bare field, a bare carriage return) is declined whole and read by that
//! reader, which also reports the faulty rows.

use std::borrow::Cow;

use crate::field::{Declined, Fast};

/// One data row: its physical line number (the header is line 1) and its cells.
pub struct Row<'a> {
    pub line: i64,
    pub cells: Vec<Cow<'a, str>>,
}

/// Every data row of a UTF-8 CSV text with ``columns`` columns, or decline the file.
pub fn rows(text: &str, delimiter: char, columns: usize) -> Fast<Vec<Row<'_>>> {
    if !delimiter.is_ascii() {
        return Err(Declined);
    }
    let mut rows = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    for (index, end) in ends.enumerate() {
        let line = &text[start..end];
        start = end + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if index == 0 || line.is_empty() {
            continue;
        }
        if memchr::memchr(b'\r', line.as_bytes()).is_some() {
            return Err(Declined);
        }
        let cells = split(line, delimiter as u8)?;
        if cells.len() != columns {
            return Err(Declined);
        }
        rows.push(Row { line: index as i64 + 1, cells });
    }
    Ok(rows)
}

/// The fields of one line.
fn split(line: &str, delimiter: u8) -> Fast<Vec<Cow<'_, str>>> {
    let mut cells = Vec::new();
    let mut rest = line;
    loop {
        let (cell, after) = if let Some(quoted) = rest.strip_prefix('"') { quoted_field(quoted)? } else { bare_field(rest, delimiter)? };
        cells.push(cell);
        match after {
            None => return Ok(cells),
            Some(next) => {
                rest = next.strip_prefix(delimiter as char).ok_or(Declined)?;
            }
        }
    }
}

/// A bare field up to the delimiter; the rest of the line from the delimiter on (None at its end).
fn bare_field(text: &str, delimiter: u8) -> Fast<(Cow<'_, str>, Option<&str>)> {
    let end = memchr::memchr(delimiter, text.as_bytes()).unwrap_or(text.len());
    let cell = &text[..end];
    if memchr::memchr(b'"', cell.as_bytes()).is_some() {
        return Err(Declined);
    }
    Ok((Cow::Borrowed(cell), (end < text.len()).then(|| &text[end..])))
}

/// A quoted field (after its opening quote); what follows its closing quote.
fn quoted_field(text: &str) -> Fast<(Cow<'_, str>, Option<&str>)> {
    let mut value: Option<String> = None;
    let mut start = 0;
    loop {
        let close = start + memchr::memchr(b'"', text[start..].as_bytes()).ok_or(Declined)?;
        if text[close + 1..].starts_with('"') {
            value.get_or_insert_with(String::new).push_str(&text[start..=close]);
            start = close + 2;
            continue;
        }
        let cell = match value {
            Some(mut joined) => {
                joined.push_str(&text[start..close]);
                Cow::Owned(joined)
            }
            None => Cow::Borrowed(&text[..close]),
        };
        let after = &text[close + 1..];
        return Ok((cell, (!after.is_empty()).then_some(after)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_and_skips_empty_lines() {
        let text = "a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n\r\n2,,\n";
        let rows = rows(text, ',', 3).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, vec!["1", "x,y", "say \"hi\""]);
        assert_eq!((rows[1].line, rows[1].cells.clone()), (4, vec![Cow::Borrowed("2"), "".into(), "".into()]));
    }

    #[test]
    fn declines_what_the_arrow_reader_should_judge() {
        for text in ["h,h\n1,2,3\n", "h,h\n1,\"2\n", "h,h\n1,a\"b\n", "h,h\n1,\"2\"x\n", "h,h\n1\r2,3\n"] {
            assert!(rows(text, ',', 2).is_err(), "{text:?}");
        }
    }
}
