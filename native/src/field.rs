//! One field value as a record carries it, and the rules that turn it into the text or number the
//! normaliser needs.
//!
//! The fast path must give exactly what the reference (SQL) normalisation gives, so every rule here
//! accepts only values whose reading is unambiguous; anything else is *declined*, and the whole
//! record is left to the reference path.

use std::borrow::Cow;

/// The fast path cannot read this value exactly as the reference path would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declined;

pub type Fast<T> = Result<T, Declined>;

/// A field as read: absent or null, text, a JSON number token, or another JSON value.
#[derive(Debug, Clone, Default)]
pub enum Field<'a> {
    #[default]
    Missing,
    Text(Cow<'a, str>),
    Number(&'a str),
    Other,
}

impl<'a> Field<'a> {
    /// The value as text (what a VARCHAR column holds); a non-integer number or another JSON value
    /// declines, because its rendering as text is the engine's choice.
    pub fn text(&self) -> Fast<Option<&str>> {
        match self {
            Field::Missing => Ok(None),
            Field::Text(text) => Ok(Some(text)),
            Field::Number(token) if is_plain_integer(token) => Ok(Some(token)),
            _ => Err(Declined),
        }
    }

    /// ``nullif(trim(value), '')``.
    pub fn trimmed(&self) -> Fast<Option<&str>> {
        match self.text()? {
            None => Ok(None),
            Some(text) => Ok(Some(sql_trim(text)?).filter(|t| !t.is_empty())),
        }
    }

    /// True when the value is present and not empty (after a trim that must change nothing).
    pub fn present(&self) -> Fast<bool> {
        match self {
            Field::Number(_) => Ok(true),
            _ => Ok(self.trimmed()?.is_some()),
        }
    }

    /// The value as a number, or None when absent; declines anything but a plain, finite decimal (the
    /// reference path rejects the rest).
    pub fn number(&self) -> Fast<Option<f64>> {
        match self {
            Field::Number(token) => token.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some).ok_or(Declined),
            _ => match self.trimmed()? {
                None => Ok(None),
                Some(text) if is_plain_decimal(text) => {
                    text.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some).ok_or(Declined)
                }
                Some(_) => Err(Declined),
            },
        }
    }
}

/// SQL's ``trim``: spaces off both ends. Other whitespace at an end declines (engines differ on
/// which characters ``trim`` removes).
pub fn sql_trim(text: &str) -> Fast<&str> {
    let trimmed = text.trim_matches(' ');
    if trimmed.trim().len() == trimmed.len() { Ok(trimmed) } else { Err(Declined) }
}

/// The first of two fields that is present (``coalesce(nullif(trim(a), ''), nullif(trim(b), ''))``).
pub fn first_present<'f, 'a>(a: &'f Field<'a>, b: &'f Field<'a>) -> Fast<Option<&'f Field<'a>>> {
    if a.present()? {
        return Ok(Some(a));
    }
    Ok(if b.present()? { Some(b) } else { None })
}

/// ``-?(0|[1-9][0-9]*)`` with at most 18 digits: an integer token every engine prints unchanged.
pub fn is_plain_integer(token: &str) -> bool {
    let digits = token.strip_prefix('-').unwrap_or(token);
    let bytes = digits.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 18
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.len() == 1 || bytes[0] != b'0')
        && token != "-0"
}

/// ``-?[0-9]+(\.[0-9]+)?``: a decimal every engine reads as the same double.
pub fn is_plain_decimal(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_decimals() {
        assert!(is_plain_integer("0") && is_plain_integer("-12") && !is_plain_integer("012"));
        assert!(!is_plain_integer("-0") && !is_plain_integer("1.0") && !is_plain_integer(""));
        assert!(is_plain_decimal("1.5") && is_plain_decimal("-3") && !is_plain_decimal("1."));
        assert!(!is_plain_decimal(".5") && !is_plain_decimal("1e3") && !is_plain_decimal("1,000"));
    }

    #[test]
    fn trimming_declines_rather_than_guess() {
        assert_eq!(Field::Text(" a  ".into()).trimmed(), Ok(Some("a")));
        assert_eq!(Field::Text("\ta".into()).trimmed(), Err(Declined));
        assert_eq!(Field::Text("a \u{3000}".into()).trimmed(), Err(Declined));
        assert_eq!(Field::Text("   ".into()).trimmed(), Ok(None));
        assert_eq!(Field::Text("".into()).trimmed(), Ok(None));
        assert_eq!(Field::Number("2.0").number(), Ok(Some(2.0)));
        assert_eq!(Field::Number("2.0").text(), Err(Declined));
        assert_eq!(Field::Number("1e400").number(), Err(Declined));
        assert_eq!(Field::Text(format!("1{}", "0".repeat(400)).into()).number(), Err(Declined));
    }
}
