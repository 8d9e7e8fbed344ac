//! The reference normalisation's rules for one record, for records the fast path can read exactly:
//! known interface family, institution, row key, business time, quantity (and price), item code
//! and 3502 change type all present and well formed. Anything else declines, and the reference path
//! reads the record (and writes the reject that names what is wrong).

use std::borrow::Cow;
use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use crate::field::{first_present, sql_trim, Declined, Fast, Field};
use crate::record::*;
use crate::timeparse::{parse_micros, TimeRules};

/// An interface family's own fields (positions in [`FIELDS`]) and event type.
#[derive(Debug, Clone)]
pub struct Interface {
    pub time: usize,
    pub quantity: usize,
    pub price: Option<usize>,
    /// The canonical event type, or None when the 3502 change type decides it.
    pub event_type: Option<String>,
}

/// An institution as the institutions reference describes it.
#[derive(Debug, Clone, Default)]
pub struct Institution {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub chain: Option<String>,
}

/// The declared vocabulary, as the normaliser needs it.
#[derive(Debug, Default)]
pub struct Context {
    pub families: HashMap<String, Interface>,
    pub change_types: HashMap<String, String>,
    pub letters: HashMap<char, String>,
    pub split_true: Vec<String>,
    pub times: TimeRules,
    pub institutions: HashMap<String, Institution>,
    pub nodes: Vec<(String, bool)>,
    /// ``inv_data_type`` values a 3507 request may carry.
    pub delete_types: Vec<String>,
    pub time_range: TimeRange,
}

/// Plausible business times (``business_time`` in ``fields.yaml``), in microseconds since 1970.
#[derive(Debug, Clone, Copy)]
pub struct TimeRange {
    pub earliest: i64,
    /// ``days_after_upload`` in microseconds.
    pub after_upload: i64,
    /// Midnight of the day of the run.
    pub run_day: i64,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange { earliest: i64::MIN, after_upload: 0, run_day: i64::MAX }
    }
}

impl TimeRange {
    /// Whether a business time is plausible for a record uploaded at ``upload_time``.
    pub fn holds(&self, event_time: i64, upload_time: Option<i64>) -> bool {
        let uploaded = upload_time.map_or(self.run_day, |u| u.min(self.run_day));
        event_time >= self.earliest && event_time <= uploaded.saturating_add(self.after_upload)
    }
}

impl Default for TimeRules {
    fn default() -> Self {
        TimeRules { datetime: true, date: true }
    }
}

/// A trace code as the project's rules library reads it.
#[derive(Debug)]
pub struct ParsedCode {
    pub code: String,
    pub scheme: String,
    pub reason: String,
    pub product_id: String,
}

/// The trace-code rules the fast path does not re-implement: splitting a cell that holds several
/// codes, and parsing anything but a plain 20-digit code.
pub trait CodeRules {
    fn split(&mut self, cell: &str) -> Fast<Vec<String>>;
    fn parse(&mut self, code: &str) -> Fast<Rc<ParsedCode>>;
}

#[derive(Debug)]
pub enum Class {
    Nmpa20,
    Parsed(Rc<ParsedCode>),
}

#[derive(Debug)]
pub struct Code<'r> {
    pub raw: Cow<'r, str>,
    pub class: Class,
}

/// A record that passed every check, with each event column's value.
#[derive(Debug)]
pub struct Prepared<'r> {
    pub family: &'r str,
    pub interface: &'r str,
    pub institution_code: Cow<'r, str>,
    pub bchno: &'r str,
    pub event_type: &'r str,
    pub event_time: i64,
    pub upload_time: Option<i64>,
    pub record_quantity: f64,
    pub unit_price: Option<f64>,
    pub med_list_codg: &'r str,
    pub product_name: Option<&'r str>,
    pub hilist_id: Option<&'r str>,
    pub institution_name: Option<&'r str>,
    pub institution_type: &'r str,
    pub region_code: Option<String>,
    pub chain_id: Option<&'r str>,
    pub psn_no: Option<&'r str>,
    pub certno: Option<&'r str>,
    pub psn_name: Option<&'r str>,
    pub setl_id: Option<&'r str>,
    pub mdtrt_sn: Option<&'r str>,
    pub receipt_no: Option<&'r str>,
    pub split_flag: bool,
    pub supplier: Option<&'r str>,
    pub batch_no: Option<&'r str>,
    pub change_type: Option<&'r str>,
    pub ref_record_no: Option<&'r str>,
    pub settle_type: Option<&'r str>,
    pub codes: Vec<Code<'r>>,
    pub line: i64,
    pub index: i32,
    pub file: i32,
}

impl Prepared<'_> {
    /// ``family|institution|fixmedins_bchno``: the record's business key.
    pub fn source_record(&self) -> String {
        [self.family, "|", &self.institution_code, "|", self.bchno].concat()
    }
}

/// Check a record and work out its event columns, or decline.
pub fn prepare<'r>(r: &'r RawRecord<'r>, ctx: &'r Context, rules: &mut dyn CodeRules) -> Fast<Prepared<'r>> {
    let infno = r.get(F_INFNO).trimmed()?.ok_or(Declined)?;
    let family = family_of(infno)?;
    let interface = ctx.families.get(family).ok_or(Declined)?;
    let institution_code = institution_code(r.get(F_CODE))?;
    let bchno = r.get(F_BCHNO).trimmed()?.ok_or(Declined)?;
    let med_list_codg = r.get(F_MED_LIST).trimmed()?.ok_or(Declined)?;
    let time = first_present(r.get(interface.time), r.get(F_ANY_TIME))?.ok_or(Declined)?;
    let event_time = parse_micros(time.trimmed()?.ok_or(Declined)?, ctx.times)?;
    let quantity = first_present(r.get(interface.quantity), r.get(F_ANY_CNT))?.ok_or(Declined)?;
    let record_quantity = quantity.number()?.ok_or(Declined)?;
    let unit_price = interface.price.map_or(Ok(None), |price| r.get(price).number())?;
    let change_type = r.get(F_CHG_TYPE).trimmed()?;
    let event_type = match &interface.event_type {
        Some(kind) => kind.as_str(),
        None => ctx.change_types.get(change_type.ok_or(Declined)?).ok_or(Declined)?.as_str(),
    };
    let upload_time = r.get(F_INF_TIME).trimmed()?.map(|t| parse_micros(t, ctx.times)).transpose()?;
    if !ctx.time_range.holds(event_time, upload_time) || !(record_quantity * unit_price.unwrap_or(0.0)).is_finite() {
        return Err(Declined);
    }
    let reference = ctx.institutions.get(institution_code.as_ref());
    let letter = institution_code.chars().next().and_then(|c| ctx.letters.get(&c));
    let trimmed = |field: usize| r.get(field).trimmed();
    Ok(Prepared {
        family,
        interface: r.get(F_INFNO).text()?.ok_or(Declined)?,
        bchno,
        event_type,
        event_time,
        upload_time,
        record_quantity,
        unit_price,
        med_list_codg,
        product_name: r.get(F_HILIST_NAME).text()?,
        hilist_id: r.get(F_HILIST_ID).text()?,
        institution_name: r.get(F_NAME).text()?,
        institution_type: reference.and_then(|i| i.kind.as_deref()).or(letter.map(String::as_str)).unwrap_or("unknown"),
        region_code: reference.and_then(|i| i.region.clone()).or_else(|| region_from_code(&institution_code)),
        chain_id: reference.and_then(|i| i.chain.as_deref()),
        psn_no: trimmed(F_PSN_NO)?,
        certno: trimmed(F_CERTNO)?,
        psn_name: trimmed(F_PSN_NAME)?,
        setl_id: trimmed(F_SETL_ID)?,
        mdtrt_sn: trimmed(F_MDTRT_SN)?,
        receipt_no: trimmed(F_RTAL_DOCNO)?,
        split_flag: trimmed(F_TRDN)?.is_some_and(|flag| ctx.split_true.iter().any(|t| t == flag)),
        supplier: trimmed(F_SUPPLIER)?,
        batch_no: trimmed(F_LOTNUM)?,
        change_type,
        ref_record_no: original_record(r)?,
        settle_type: trimmed(F_SETL_TYPE)?,
        codes: codes(&r.codes, rules)?,
        institution_code,
        line: r.line,
        index: r.index,
        file: r.file,
    })
}

/// ``350[1-7][A-Za-z]?`` → the family (its first four characters).
pub fn family_of(infno: &str) -> Fast<&str> {
    let b = infno.as_bytes();
    let known = (b.len() == 4 || (b.len() == 5 && b[4].is_ascii_alphabetic()))
        && b.starts_with(b"350")
        && (b'1'..=b'7').contains(&b[3]);
    if known { Ok(&infno[..4]) } else { Err(Declined) }
}

/// ``upper(trim(fixmedins_code))`` for ASCII codes.
pub fn institution_code<'r>(field: &'r Field<'r>) -> Fast<Cow<'r, str>> {
    let code = field.trimmed()?.ok_or(Declined)?;
    if !code.is_ascii() {
        return Err(Declined);
    }
    Ok(if code.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(code.to_ascii_uppercase()) } else { Cow::Borrowed(code) })
}

/// Digits 2–7 of a code shaped ``[A-Z][0-9]{11}``.
fn region_from_code(code: &str) -> Option<String> {
    let b = code.as_bytes();
    let shaped = b.len() == 12 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
    shaped.then(|| code[1..7].to_owned())
}

/// ``nullif(trim(coalesce(medins_prod_sel_no, medins_prod_purc_no)), '')``.
fn original_record<'r>(r: &'r RawRecord<'r>) -> Fast<Option<&'r str>> {
    match r.get(F_SEL_NO) {
        Field::Missing => r.get(F_PURC_NO).trimmed(),
        sale => sale.trimmed(),
    }
}

/// The characters that always separate the codes of a cell (``CODE_SEPARATORS`` of the rules library).
pub const CODE_SEPARATORS: &str = ",;|，；｜、";

/// Whether ``c`` is one of [`CODE_SEPARATORS`] (a ``match``: it runs for every character of every cell).
fn is_code_separator(c: char) -> bool {
    matches!(c, ',' | ';' | '|' | '，' | '；' | '｜' | '、')
}

/// Whitespace as the rules library splits at it: Unicode whitespace (U+3000 …) and the zero-width
/// space. Rust's White_Space set is Python's without U+001C–U+001F, which the library keeps (GS).
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}'
}

/// A cell holding any of these may hold several codes (the reference path's ``CELL_SEPARATORS``).
fn is_separator(c: char) -> bool {
    is_code_separator(c) || is_space(c)
}

/// ``split_code_cell`` of the rules library for cells of ASCII codes: split at ``CODE_SEPARATORS``,
/// tabs and line breaks, then at other whitespace (U+3000 included), except that single-space-separated digit groups adding up
/// to 20 digits stay one code. None (the library splits it) for anything else, such as bracketed GS1
/// elements or non-ASCII letters.
pub fn split_plain(cell: &str) -> Option<Vec<String>> {
    let breaks = |c: char| is_code_separator(c) || matches!(c, '\r' | '\n' | '\t');
    let mut codes = Vec::new();
    for chunk in cell.split(breaks) {
        let (tokens, gaps) = tokens_and_gaps(chunk);
        if tokens.iter().any(|t| !t.is_ascii() || t.starts_with('(')) {
            return None;
        }
        join_tokens(&tokens, &gaps, &mut codes);
    }
    Some(codes)
}

/// A chunk split at whitespace runs (zero-width space included): tokens, and the runs between them.
fn tokens_and_gaps(chunk: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut tokens, mut gaps) = (Vec::new(), Vec::new());
    let mut rest = chunk;
    while let Some(start) = rest.find(is_space) {
        let end = rest[start..].find(|c: char| !is_space(c)).map_or(rest.len(), |e| start + e);
        tokens.push(&rest[..start]);
        gaps.push(&rest[start..end]);
        rest = &rest[end..];
    }
    tokens.push(rest);
    (tokens, gaps)
}

fn join_tokens(tokens: &[&str], gaps: &[&str], out: &mut Vec<String>) {
    let mut i = 0;
    while i < tokens.len() {
        if let Some(end) = digit_run_end(tokens, gaps, i).filter(|end| *end > i) {
            let mut code = String::new();
            for k in i..end {
                code.push_str(tokens[k]);
                code.push_str(gaps[k]);
            }
            code.push_str(tokens[end]);
            out.push(code);
            i = end + 1;
            continue;
        }
        if !tokens[i].is_empty() {
            out.push(tokens[i].to_owned());
        }
        i += 1;
    }
}

/// The last token of a run of digit groups from ``i``, one whitespace apart, of exactly 20 digits.
fn digit_run_end(tokens: &[&str], gaps: &[&str], i: usize) -> Option<usize> {
    let mut total = 0;
    for k in i..tokens.len() {
        let token = tokens[k];
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        total += token.len();
        if total >= 20 {
            return (total == 20).then_some(k);
        }
        if k >= gaps.len() || gaps[k].chars().count() != 1 {
            return None;
        }
    }
    None
}

/// ``8[0-9]{19}``: a plain NMPA code, read without the rules library.
pub fn is_plain_nmpa20(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 20 && b[0] == b'8' && b.iter().all(u8::is_ascii_digit)
}

fn codes<'r>(cells: &'r [Cow<'r, str>], rules: &mut dyn CodeRules) -> Fast<Vec<Code<'r>>> {
    let mut codes = Vec::with_capacity(cells.len());
    for cell in cells {
        let trimmed = sql_trim(cell)?;
        if trimmed.contains(is_separator) {
            let parts = match split_plain(cell) {
                Some(parts) => parts,
                None => rules.split(cell)?,
            };
            for code in parts {
                let class = classify(&code, rules)?;
                codes.push(Code { raw: Cow::Owned(code), class });
            }
        } else {
            codes.push(Code { raw: Cow::Borrowed(trimmed), class: classify(trimmed, rules)? });
        }
    }
    Ok(codes)
}

fn classify(code: &str, rules: &mut dyn CodeRules) -> Fast<Class> {
    if is_plain_nmpa20(code) {
        return Ok(Class::Nmpa20);
    }
    if let Some((canonical, gtin)) = crate::gs1::parse_clean_gs1(code) {
        let parsed = ParsedCode { code: canonical, scheme: "gs1".into(), reason: String::new(), product_id: gtin };
        return Ok(Class::Parsed(Rc::new(parsed)));
    }
    rules.parse(code).map(Class::Parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_times_hold_within_the_range() {
        let day = 86_400_000_000;
        let range = TimeRange { earliest: 10 * day, after_upload: 2 * day, run_day: 100 * day };
        assert!(range.holds(10 * day, None) && range.holds(102 * day, None) && !range.holds(102 * day + 1, None));
        assert!(!range.holds(10 * day - 1, Some(20 * day)) && range.holds(22 * day, Some(20 * day)));
        assert!(!range.holds(23 * day, Some(20 * day)) && !range.holds(103 * day, Some(i64::MAX)));
    }

    #[test]
    fn families_and_institutions() {
        assert_eq!(family_of("3505A"), Ok("3505"));
        assert_eq!(family_of("3508"), Err(Declined));
        assert_eq!(family_of("3505AB"), Err(Declined));
        assert_eq!(institution_code(&Field::Text("p500".into())).unwrap(), "P500");
        assert_eq!(region_from_code("P50011600012").as_deref(), Some("500116"));
        assert_eq!(region_from_code("P5001160001"), None);
        assert_eq!(split_plain("a,b，；c\t"), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(split_plain("8123 4560 0000 0000 0012 81"), Some(vec!["8123 4560 0000 0000 0012".into(), "81".into()]));
        assert_eq!(split_plain("(01)06901234567892 (21)A1"), None);
        assert_eq!(split_plain("a\u{3000}b｜c\u{A0}d"), Some(vec!["a".into(), "b".into(), "c".into(), "d".into()]));
        assert!(is_separator('\u{3000}') && is_separator('｜') && !is_separator('\x1d'));
        assert!(CODE_SEPARATORS.chars().all(is_code_separator));
    }
}
