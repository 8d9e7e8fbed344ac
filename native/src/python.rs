//! The Python face: ``EventBuilder`` collects event rows from format-A blocks and raw tables and
//! hands back what it declined; ``finish`` returns the columns as Arrow buffers.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::deletes::{prepare_request, DeleteRequests, DeletedRows, KnownDelete, KnownDeletes, Request};
use crate::columns::Buffer;
use crate::events::{EventColumns, Exported};
use crate::field::{Declined, Fast};
use crate::json::read_line;
use crate::normalize::{family_of, prepare, CodeRules, Context, Institution, Interface, ParsedCode, Prepared, TimeRange};
use crate::csv::Row;
use crate::field::Field;
use crate::record::{field_index, RawRecord, FIELDS, F_INFNO};
use crate::table::{RawColumns, TextLists, Texts};
use crate::timeparse::TimeRules;

/// (name, Arrow kind) of the columns of each output (``event``, ``deleted``, ``duplicate``, ``delete``).
#[pyfunction]
pub fn layout() -> HashMap<&'static str, Vec<(&'static str, &'static str)>> {
    HashMap::from([
        ("event", EventColumns::LAYOUT.to_vec()),
        ("deleted", DeletedRows::LAYOUT.to_vec()),
        ("duplicate", DeletedRows::LAYOUT.to_vec()),
        ("delete", DeleteRequests::LAYOUT.to_vec()),
    ])
}

/// The raw fields the builder reads, by position.
#[pyfunction]
pub fn fields() -> Vec<&'static str> {
    FIELDS.to_vec()
}

/// (start, end) of the lines of a buffer that hold any of ``patterns``, each line once, in order.
#[pyfunction]
pub fn lines_with(data: PyBuffer<u8>, patterns: Vec<Vec<u8>>) -> Vec<(usize, usize)> {
    let bytes = contiguous(&data);
    crate::scan::line_spans_with(bytes, &patterns)
}

/// GB18030 bytes as UTF-8 (``encoding_rs``); None when Python's codec must decode them.
#[pyfunction]
pub fn gb18030_to_utf8(py: Python<'_>, data: PyBuffer<u8>) -> Option<Py<PyBytes>> {
    let bytes = contiguous(&data);
    crate::gb18030::to_utf8(bytes).map(|text| PyBytes::new(py, &text).unbind())
}

/// Whether a sample is UTF-8, allowing a character cut off at its end (as an incremental decoder does).
#[pyfunction]
pub fn utf8_prefix(data: PyBuffer<u8>) -> bool {
    let bytes = contiguous(&data);
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    }
}

/// (lines holding non-ASCII bytes that are UTF-8, lines that are not UTF-8) of a buffer.
#[pyfunction]
pub fn utf8_lines(data: PyBuffer<u8>) -> (usize, usize) {
    let (mut utf8, mut other) = (0, 0);
    for line in contiguous(&data).split(|byte| *byte == b'\n').filter(|line| !line.is_ascii()) {
        if std::str::from_utf8(line).is_ok() { utf8 += 1 } else { other += 1 }
    }
    (utf8, other)
}

/// (start, end) of the lines of a buffer that hold non-ASCII bytes and are UTF-8.
#[pyfunction]
pub fn utf8_line_spans(data: PyBuffer<u8>) -> Vec<(usize, usize)> {
    let bytes = contiguous(&data);
    let mut spans = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        let line = &bytes[start..end];
        if !line.is_ascii() && std::str::from_utf8(line).is_ok() {
            spans.push((start, end));
        }
        start = end + 1;
    }
    spans
}

/// (canonical code, GTIN) of a clean, valid GS1 string, else None (the rules library decides).
#[pyfunction]
pub fn clean_gs1(code: &str) -> Option<(String, String)> {
    crate::gs1::parse_clean_gs1(code)
}

/// The values of one CSV line, or None when its quotes do not balance (``csv_lines.line_cells``).
#[pyfunction]
pub fn csv_cells(line: &str, delimiter: char) -> Option<Vec<String>> {
    delimiter.is_ascii().then(|| crate::csv::line_cells(line, delimiter as u8)).flatten()
}

/// The codes of a cell split by separators alone, or None when the rules library must split it.
#[pyfunction]
pub fn split_plain(cell: &str) -> Option<Vec<String>> {
    crate::normalize::split_plain(cell)
}

/// (start, end) of the lines of a format-A buffer (bytes or mmap) whose ``infno`` is a 3507.
#[pyfunction]
pub fn delete_lines(data: PyBuffer<u8>) -> Vec<(usize, usize)> {
    let bytes = contiguous(&data);
    crate::scan::delete_line_spans(bytes)
}

/// The bytes of a buffer argument (bytes, mmap), valid while the buffer is held.
fn contiguous(data: &PyBuffer<u8>) -> &[u8] {
    // SAFETY: a contiguous byte buffer, held by ``data`` for as long as the slice is used.
    unsafe { std::slice::from_raw_parts(data.buf_ptr() as *const u8, data.len_bytes()) }
}

/// The trace-code rules of the project's Python library, called for what the fast path leaves to it.
struct PythonRules<'a, 'py> {
    py: Python<'py>,
    split: &'a PyObject,
    parse: &'a PyObject,
    cache: &'a mut FxHashMap<String, Rc<ParsedCode>>,
}

impl CodeRules for PythonRules<'_, '_> {
    fn split(&mut self, cell: &str) -> Fast<Vec<String>> {
        self.split.call1(self.py, (cell,)).and_then(|codes| codes.extract(self.py)).map_err(|_| Declined)
    }

    fn parse(&mut self, code: &str) -> Fast<Rc<ParsedCode>> {
        if let Some(parsed) = self.cache.get(code) {
            return Ok(Rc::clone(parsed));
        }
        let fields: (String, String, String, String) =
            self.parse.call1(self.py, (code,)).and_then(|p| p.extract(self.py)).map_err(|_| Declined)?;
        let parsed = Rc::new(ParsedCode { code: fields.0, scheme: fields.1, reason: fields.2, product_id: fields.3 });
        if self.cache.len() >= 500_000 {
            self.cache.clear();
        }
        self.cache.insert(code.to_owned(), Rc::clone(&parsed));
        Ok(parsed)
    }
}

#[pyclass(unsendable)]
pub struct EventBuilder {
    context: Context,
    columns: EventColumns,
    requests: DeleteRequests,
    deleted: DeletedRows,
    duplicates: DeletedRows,
    seen: FxHashSet<String>,
    known: KnownDeletes,
    split: PyObject,
    parse: PyObject,
    interface: PyObject,
    cache: FxHashMap<String, Rc<ParsedCode>>,
    interfaces: FxHashMap<String, String>,
}

#[pymethods]
impl EventBuilder {
    /// ``config``: families, change_types, letters, split_true, times, time_range, institutions, nodes, and the
    /// ``split`` and ``parse`` callables of the trace-code rules.
    #[new]
    fn new(config: &Bound<'_, PyDict>) -> PyResult<Self> {
        let item = |key: &str| config.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("config lacks {key}")));
        Ok(EventBuilder {
            context: context(config)?,
            columns: EventColumns::default(),
            requests: DeleteRequests::default(),
            deleted: DeletedRows::default(),
            duplicates: DeletedRows::default(),
            seen: FxHashSet::default(),
            known: KnownDeletes::default(),
            split: item("split")?.unbind(),
            parse: item("parse")?.unbind(),
            interface: item("interface")?.unbind(),
            cache: FxHashMap::default(),
            interfaces: FxHashMap::default(),
        })
    }

    /// Read the lines of a UTF-8 block (whole lines, the first numbered ``first_line``); returns the
    /// (line number, text) of the lines declined.
    fn add_lines(&mut self, py: Python<'_>, data: &[u8], first_line: i64, file_index: i32, source_file: &str)
        -> Vec<(i64, Py<PyBytes>)> {
        let mut declined = Vec::new();
        let mut line_no = first_line;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len())) {
            let line = &data[start..end];
            let blank = line.iter().all(u8::is_ascii_whitespace);
            if !blank && self.add_line(py, line, line_no, file_index, source_file).is_err() {
                declined.push((line_no, PyBytes::new(py, line).unbind()));
            }
            line_no += 1;
            start = end + 1;
        }
        declined
    }

    /// Read ``rows`` rows of a raw table given as Arrow buffers (see ``loaders/native.py``); returns
    /// the positions of the rows declined.
    fn add_table(&mut self, py: Python<'_>, table: &Bound<'_, PyDict>, rows: usize, files: HashMap<i32, String>)
        -> PyResult<Vec<usize>> {
        let held = HeldTable::extract(table)?;
        let raw = held.view(rows)?;
        let mut declined = Vec::new();
        for row in 0..rows {
            let added = raw.record(row).and_then(|record| {
                let source = files.get(&record.file).ok_or(Declined)?;
                self.add_records(py, &[record], source)
            });
            if added.is_err() {
                declined.push(row);
            }
        }
        Ok(declined)
    }

    /// Read a whole CSV file (UTF-8 text; ``positions``: field → column, fields the normalisation does
    /// not read are passed over). Returns None when the file is declined (nothing was added), else the
    /// (line, cells) of the rows declined and the (line, text, kind, values found) of the broken lines
    /// (``loaders/csv_lines.py`` names their kinds).
    #[allow(clippy::too_many_arguments)]
    fn add_csv(&mut self, py: Python<'_>, data: &[u8], delimiter: char, columns: usize, positions: Vec<(String, usize)>,
               file_index: i32, source_file: &str) -> PyResult<Option<CsvLeft>> {
        let Ok(text) = std::str::from_utf8(data) else { return Ok(None) };
        if !delimiter.is_ascii() {
            return Ok(None);
        }
        let (rows, broken) = crate::csv::read(text, delimiter as u8, columns);
        let mut map = Vec::new();
        for (name, column) in positions {
            match name.as_str() {
                "drug_trac_codg" => map.push((None, column)),
                other => map.extend(field_index(other).map(|position| (Some(position), column))),
            }
        }
        let mut declined = Vec::new();
        for row in &rows {
            let added = self.csv_record(py, row, &map, file_index).and_then(|r| self.add_records(py, &[r], source_file));
            if added.is_err() {
                declined.push((row.line, row.cells().map(str::to_owned).collect()));
            }
        }
        let broken = broken.iter().map(|b| (b.line, b.text.to_owned(), b.kind as u8, b.found)).collect();
        Ok(Some((declined, broken)))
    }

    /// Rows collected so far.
    fn rows(&self) -> usize {
        self.columns.rows
    }

    /// The 3507 deletes known before this task: (institution, row key, families, upload time in
    /// microseconds or None). Events of the records they name are kept apart (``deleted``).
    fn set_known_deletes(&mut self, deletes: Vec<(String, String, Vec<String>, Option<i64>)>) {
        self.known.0.clear();
        for (institution, record_no, families, upload_time) in deletes {
            self.known.add(institution, record_no, KnownDelete { families, upload_time });
        }
    }

    /// The collected rows by output (``event``, ``deleted``, ``duplicate``, ``delete``): (columns, row count), each
    /// column (name, kind, validity or None, [buffers]). The builder starts empty again.
    fn finish(&mut self, py: Python<'_>) -> HashMap<&'static str, (Vec<ExportedPy>, usize)> {
        let events = std::mem::take(&mut self.columns);
        let deleted = std::mem::take(&mut self.deleted);
        let duplicates = std::mem::take(&mut self.duplicates);
        let requests = std::mem::take(&mut self.requests);
        self.seen.clear();
        let (event_rows, deleted_rows, request_rows) = (events.rows, deleted.rows, requests.rows);
        let duplicate_rows = duplicates.rows;
        HashMap::from([
            ("event", (to_python(py, events.export()), event_rows)),
            ("deleted", (to_python(py, deleted.export()), deleted_rows)),
            ("duplicate", (to_python(py, duplicates.export()), duplicate_rows)),
            ("delete", (to_python(py, requests.export()), request_rows)),
        ])
    }
}

type ExportedPy = (String, String, Option<Py<ArrowBuffer>>, Vec<Py<ArrowBuffer>>);

/// What a CSV file leaves to Python: declined rows (line, cells) and broken lines (line, text, kind, found).
type CsvLeft = (Vec<(i64, Vec<String>)>, Vec<(i64, String, u8, usize)>);

fn to_python(py: Python<'_>, columns: Vec<Exported>) -> Vec<ExportedPy> {
    let wrap = |buffer: Buffer| Py::new(py, ArrowBuffer(buffer)).expect("a Python object");
    columns.into_iter()
        .map(|(name, kind, validity, buffers)| {
            (name.to_owned(), kind.to_owned(), validity.map(wrap), buffers.into_iter().map(wrap).collect())
        })
        .collect()
}

/// A finished column buffer Python reads through the buffer protocol, without a copy.
#[pyclass(frozen)]
pub struct ArrowBuffer(Buffer);

#[pymethods]
impl ArrowBuffer {
    unsafe fn __getbuffer__(slf: Bound<'_, Self>, view: *mut pyo3::ffi::Py_buffer, flags: std::os::raw::c_int) -> PyResult<()> {
        let bytes = slf.get().0.as_bytes();
        // SAFETY: the view holds a reference to this object, whose buffer never changes.
        let filled = pyo3::ffi::PyBuffer_FillInfo(view, slf.as_ptr(), bytes.as_ptr() as *mut _, bytes.len() as pyo3::ffi::Py_ssize_t, 1, flags);
        if filled == -1 { Err(PyErr::fetch(slf.py())) } else { Ok(()) }
    }

    unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {}
}

impl EventBuilder {
    fn add_line(&mut self, py: Python<'_>, line: &[u8], line_no: i64, file: i32, source: &str) -> Fast<()> {
        let text = std::str::from_utf8(line).map_err(|_| Declined)?;
        let mut records = read_line(text, &self.context.nodes)?;
        for record in &mut records {
            record.line = line_no;
            record.file = file;
        }
        self.add_records(py, &records, source)
    }

    /// A CSV row as a raw record, as the Python reader's table would give it: the interface trimmed and
    /// named by its code, the code cell trimmed (one cell, or none when empty).
    fn csv_record<'r>(&mut self, py: Python<'_>, row: &'r Row, map: &[(Option<usize>, usize)], file: i32)
        -> Fast<RawRecord<'r>> {
        let mut record = RawRecord { line: row.line, index: 1, file, ..RawRecord::default() };
        for (target, column) in map {
            let cell = row.cell(*column);
            match target {
                None => {
                    let code = arrow_trim(cell)?;
                    if !code.is_empty() {
                        record.codes = vec![Cow::Borrowed(code)];
                    }
                }
                Some(F_INFNO) => record.fields[F_INFNO] = Field::Text(Cow::Owned(self.interface_code(py, arrow_trim(cell)?)?)),
                Some(position) => record.fields[*position] = Field::Text(Cow::Borrowed(cell)),
            }
        }
        Ok(record)
    }

    /// The interface code a table names (``商品销售`` → ``3505``), asked of the vocabulary once per value.
    fn interface_code(&mut self, py: Python<'_>, value: &str) -> Fast<String> {
        if let Some(code) = self.interfaces.get(value) {
            return Ok(code.clone());
        }
        let code: String = self.interface.call1(py, (value,)).and_then(|c| c.extract(py)).map_err(|_| Declined)?;
        self.interfaces.insert(value.to_owned(), code.clone());
        Ok(code)
    }

    /// Check every record first, so a record that declines leaves no row of its line behind.
    fn add_records(&mut self, py: Python<'_>, records: &[RawRecord<'_>], source: &str) -> Fast<()> {
        let mut rules = PythonRules { py, split: &self.split, parse: &self.parse, cache: &mut self.cache };
        let mut ready = Vec::with_capacity(records.len());
        for record in records {
            let family = family_of(record.get(F_INFNO).trimmed()?.ok_or(Declined)?)?;
            ready.push(if family == "3507" {
                Ready::Delete(prepare_request(record, &self.context)?)
            } else {
                Ready::Event(prepare(record, &self.context, &mut rules)?)
            });
        }
        for item in &ready {
            match item {
                Ready::Delete(request) => self.requests.push(request, source),
                Ready::Event(event) if self.known.names(event) => self.deleted.push_record(event),
                Ready::Event(event) if !self.seen.insert(event.source_record()) => self.duplicates.push_record(event),
                Ready::Event(event) => self.columns.push_record(event, source),
            }
        }
        Ok(())
    }
}

enum Ready<'r> {
    Event(Prepared<'r>),
    Delete(Request<'r>),
}

/// Arrow's ``utf8_trim_whitespace`` for ASCII whitespace; other whitespace at an end declines.
fn arrow_trim(text: &str) -> Fast<&str> {
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0B');
    if trimmed.trim().len() == trimmed.len() { Ok(trimmed) } else { Err(Declined) }
}

fn context(config: &Bound<'_, PyDict>) -> PyResult<Context> {
    let get = |key: &str| config.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("config lacks {key}")));
    let position = |name: &str| field_index(name).ok_or_else(|| PyValueError::new_err(format!("unknown field {name}")));
    let mut families = FxHashMap::default();
    let declared: HashMap<String, (String, String, Option<String>, Option<String>)> = get("families")?.extract()?;
    for (family, (time, quantity, price, event_type)) in declared {
        let price = price.as_deref().map(position).transpose()?;
        families.insert(family, Interface { time: position(&time)?, quantity: position(&quantity)?, price, event_type });
    }
    let institutions: HashMap<String, (Option<String>, Option<String>, Option<String>)> = get("institutions")?.extract()?;
    let (datetime, date): (bool, bool) = get("times")?.extract()?;
    let (earliest, after_upload, run_day): (i64, i64, i64) = get("time_range")?.extract()?;
    Ok(Context {
        families,
        change_types: get("change_types")?.extract()?,
        letters: get("letters")?.extract()?,
        split_true: get("split_true")?.extract()?,
        times: TimeRules { datetime, date },
        institutions: institutions.into_iter()
            .map(|(code, (kind, region, chain))| (code, Institution { kind, region, chain }))
            .collect(),
        nodes: get("nodes")?.extract()?,
        delete_types: get("delete_types")?.extract()?,
        time_range: TimeRange { earliest, after_upload, run_day },
    })
}

/// The Python buffers of a raw table, held while the table is read.
struct HeldTable {
    fields: Vec<Option<[Option<PyBuffer<i8>>; 3]>>,
    field_offsets: Vec<usize>,
    codes: Option<([Option<PyBuffer<i8>>; 5], usize, usize)>,
    numbers: [PyBuffer<i8>; 4],
}

fn buffer(object: Option<Bound<'_, PyAny>>) -> PyResult<Option<PyBuffer<i8>>> {
    match object {
        Some(o) if !o.is_none() => PyBuffer::get(&o).map(Some),
        _ => Ok(None),
    }
}

fn raw_bytes(buffer: &PyBuffer<i8>) -> &[u8] {
    // SAFETY: a contiguous byte buffer, held alive by ``HeldTable`` for as long as the view lives.
    unsafe { std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, buffer.len_bytes()) }
}

fn bytes_of(buffer: &Option<PyBuffer<i8>>) -> &[u8] {
    buffer.as_ref().map_or(&[], raw_bytes)
}

fn texts(buffers: &[Option<PyBuffer<i8>>], offset: usize) -> Texts<'_> {
    Texts { validity: buffers[0].as_ref().map(raw_bytes), offsets: bytes_of(&buffers[1]), data: bytes_of(&buffers[2]), offset }
}

impl HeldTable {
    /// ``table``: field name → (validity, offsets, data, offset) for text columns; ``codes`` →
    /// (validity, offsets, item validity, item offsets, item data, offset, item offset); ``_line``,
    /// ``_rec``, ``_file`` → little-endian int64/int32/int32 buffers; ``_declined`` → one byte per row.
    fn extract(table: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut fields = Vec::new();
        let mut field_offsets = Vec::new();
        for name in FIELDS {
            match table.get_item(name)? {
                Some(spec) => {
                    let spec: (Option<Bound<PyAny>>, Option<Bound<PyAny>>, Option<Bound<PyAny>>, usize) = spec.extract()?;
                    fields.push(Some([buffer(spec.0)?, buffer(spec.1)?, buffer(spec.2)?]));
                    field_offsets.push(spec.3);
                }
                None => {
                    fields.push(None);
                    field_offsets.push(0);
                }
            }
        }
        let codes = match table.get_item("codes")? {
            Some(spec) => {
                type Spec<'p> = (Option<Bound<'p, PyAny>>, Option<Bound<'p, PyAny>>, Option<Bound<'p, PyAny>>,
                                 Option<Bound<'p, PyAny>>, Option<Bound<'p, PyAny>>, usize, usize);
                let s: Spec = spec.extract()?;
                Some(([buffer(s.0)?, buffer(s.1)?, buffer(s.2)?, buffer(s.3)?, buffer(s.4)?], s.5, s.6))
            }
            None => None,
        };
        let number = |key: &str| -> PyResult<PyBuffer<i8>> {
            let object = table.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("table lacks {key}")))?;
            PyBuffer::get(&object)
        };
        Ok(HeldTable { fields, field_offsets, codes, numbers: [number("_line")?, number("_rec")?, number("_file")?, number("_declined")?] })
    }

    fn view(&self, rows: usize) -> PyResult<RawColumns<'_>> {
        let fields = self.fields.iter().zip(&self.field_offsets)
            .map(|(buffers, offset)| buffers.as_ref().map(|b| texts(b, *offset)))
            .collect();
        let codes = self.codes.as_ref().map(|(b, offset, item_offset)| TextLists {
            validity: b[0].as_ref().map(raw_bytes),
            offsets: bytes_of(&b[1]),
            offset: *offset,
            items: texts(&b[2..], *item_offset),
        });
        let [lines, indexes, files, errors] = self.numbers.each_ref().map(raw_bytes);
        if lines.len() < rows * 8 || indexes.len() < rows * 4 || files.len() < rows * 4 || errors.len() < rows {
            return Err(PyValueError::new_err("row buffers shorter than the table"));
        }
        Ok(RawColumns { fields, codes, lines, indexes, files, errors })
    }
}
