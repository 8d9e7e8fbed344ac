//! A quick scan of format-A files for 3507 delete requests, before any record is read.

use memchr::{memchr, memmem, memrchr};

/// (start, end) of each line whose ``infno`` is a 3507 (``"infno"\s*:\s*"?3507``).
pub fn delete_line_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let finder = memmem::Finder::new(b"3507");
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(hit) = finder.find(&data[from..]) {
        let at = from + hit;
        if names_infno(&data[..at]) {
            let start = memrchr(b'\n', &data[..at]).map_or(0, |p| p + 1);
            let end = memchr(b'\n', &data[at..]).map_or(data.len(), |p| at + p);
            spans.push((start, end));
            from = end;
        } else {
            from = at + 1;
        }
    }
    spans
}

/// (start, end) of each line holding any of ``patterns``, in order, each line once.
pub fn line_spans_with(data: &[u8], patterns: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let mut starts: Vec<usize> = Vec::new();
    for pattern in patterns.iter().filter(|p| !p.is_empty()) {
        for hit in memmem::find_iter(data, pattern) {
            starts.push(memrchr(b'\n', &data[..hit]).map_or(0, |p| p + 1));
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts.into_iter().map(|start| (start, memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p))).collect()
}

/// Whether the text right before a ``3507`` is ``"infno"\s*:\s*"?``.
fn names_infno(before: &[u8]) -> bool {
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C);
    let mut i = before.len();
    if i > 0 && before[i - 1] == b'"' {
        i -= 1;
    }
    while i > 0 && space(before[i - 1]) {
        i -= 1;
    }
    if i == 0 || before[i - 1] != b':' {
        return false;
    }
    i -= 1;
    while i > 0 && space(before[i - 1]) {
        i -= 1;
    }
    before[..i].ends_with(b"\"infno\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_with_any_pattern_once() {
        let data = b"a,3507,x\nb,3505\nc,\xc9\xbe\xb3\xfd,3507\n";
        let spans = line_spans_with(data, &[b"3507".to_vec(), b"\xc9\xbe\xb3\xfd".to_vec()]);
        assert_eq!(spans, vec![(0, 8), (16, data.len() - 1)]);
    }

    #[test]
    fn finds_delete_lines_only() {
        let data = b"{\"infno\":\"3505\",\"x\":\"3507\"}\n{\"infno\" : 3507,\"a\":1}\n{\"infno\":\"3507A\"}";
        let spans = delete_line_spans(data);
        let lines: Vec<&[u8]> = spans.iter().map(|(s, e)| &data[*s..*e]).collect();
        assert_eq!(lines, vec![&b"{\"infno\" : 3507,\"a\":1}"[..], &b"{\"infno\":\"3507A\"}"[..]]);
    }
}
