//! GS1 element strings that are already clean (ASCII, no spaces, no scanner prefix, no GS written as
//! text), bracketed or raw, read by the rules of ``loaders/tracecode.py``. Only a *valid* GS1 code is
//! answered here; anything else (an invalid one included) is left to that library.

const GS: u8 = 0x1D;

/// (fixed length or 0 for variable, longest, digits only) of an application identifier.
fn ai_spec(ai: &[u8]) -> Option<(usize, usize, bool)> {
    Some(match ai {
        b"01" => (14, 14, true),
        b"11" | b"17" => (6, 6, true),
        b"10" | b"21" => (0, 20, false),
        b"30" | b"37" => (0, 8, true),
        b"240" | b"241" => (0, 30, false),
        b"710" | b"711" | b"712" | b"713" | b"714" | b"715" => (0, 20, false),
        _ => return None,
    })
}

/// (canonical code ``01{GTIN}21{serial}``, GTIN-14) of a clean, valid GS1 string; None otherwise.
pub fn parse_clean_gs1(s: &str) -> Option<(String, String)> {
    let b = without_symbology(s.as_bytes());
    if b.is_empty() || b.len() > 100 || !clean(b) {
        return None;
    }
    let explicit = b[0] == b'(' || b.contains(&GS);
    if !explicit && ai_spec(&b[..2.min(b.len())]).is_none() && ai_spec(&b[..3.min(b.len())]).is_none() {
        return None;
    }
    let elements = if b[0] == b'(' { bracketed(b)? } else { raw(b)? };
    let mut gtin: Option<&[u8]> = None;
    let mut serial: Option<&[u8]> = None;
    let mut seen: Vec<(&[u8], &[u8])> = Vec::with_capacity(elements.len());
    for (ai, value) in elements {
        let (fixed, longest, numeric) = ai_spec(ai)?;
        let length_ok = if fixed > 0 { value.len() == fixed } else { !value.is_empty() && value.len() <= longest };
        let chars_ok = if numeric { value.iter().all(u8::is_ascii_digit) } else { value.iter().all(|c| cset82(*c)) };
        if !length_ok || !chars_ok || seen.iter().any(|(a, v)| *a == ai && *v != value) {
            return None;
        }
        seen.push((ai, value));
        match ai {
            b"01" => gtin = gtin.or(Some(value)),
            b"21" => serial = serial.or(Some(value)),
            b"17" if !valid_expiry(value) => return None,
            _ => {}
        }
    }
    let (gtin, serial) = (gtin?, serial?);
    if check_digit(&gtin[..13]) != gtin[13] {
        return None;
    }
    let gtin = std::str::from_utf8(gtin).ok()?;
    let serial = std::str::from_utf8(serial).ok()?;
    Some((["01", gtin, "21", serial].concat(), gtin.to_owned()))
}

/// Without a scanner's symbology identifier such as ``]d2`` (``\][A-Za-z][0-9]``).
fn without_symbology(b: &[u8]) -> &[u8] {
    match b {
        [b']', letter, digit, rest @ ..] if letter.is_ascii_alphabetic() && digit.is_ascii_digit() => rest,
        _ => b,
    }
}

/// What ``_clean`` would leave unchanged: ASCII without spaces or text standing for GS, no
/// spreadsheet or symbology prefix, no GS at either end.
fn clean(b: &[u8]) -> bool {
    b.is_ascii()
        && !b.iter().any(|c| matches!(c, b' ' | b'<' | b'{' | b'\\' | b'^') || (c.is_ascii_whitespace() || *c == 0x0B))
        && !matches!(b[0], b'\'' | b']' | GS)
        && b[b.len() - 1] != GS
}

/// GS1 character set 82 (``[!"%-?A-Z_a-z]``).
fn cset82(c: u8) -> bool {
    matches!(c, b'!' | b'"' | 0x25..=0x3F | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// ``(AI)value…``: split at every ``(`` + 2–4 digits + ``)``.
fn bracketed(b: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    if b.contains(&GS) {
        return None; // the library drops GS inside brackets first; rare, left to it
    }
    let mut marks = Vec::new(); // (start of "(", start of AI, end of ")")
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'(' {
            let digits = b[i + 1..].iter().take(4).take_while(|c| c.is_ascii_digit()).count();
            if let Some(close) = (2..=digits).rev().find(|n| b.get(i + 1 + n) == Some(&b')')) {
                marks.push((i, i + 1, i + 1 + close));
                i += close + 2;
                continue;
            }
        }
        i += 1;
    }
    if marks.first().map(|m| m.0) != Some(0) {
        return None;
    }
    let ends = marks.iter().skip(1).map(|m| m.0).chain(std::iter::once(b.len()));
    Some(marks.iter().zip(ends).map(|(m, end)| (&b[m.1..m.2], &b[m.2 + 1..end])).collect())
}

/// Raw element strings: fixed-length AIs run on, variable ones end at GS or the end.
fn raw(b: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == GS {
            i += 1;
            continue;
        }
        let two = &b[i..(i + 2).min(b.len())];
        let ai = if ai_spec(two).is_some() { two } else { &b[i..(i + 3).min(b.len())] };
        let (fixed, _, _) = ai_spec(ai)?;
        let start = i + ai.len();
        let end = if fixed > 0 {
            (start + fixed).min(b.len())
        } else {
            b[start..].iter().position(|c| *c == GS).map_or(b.len(), |p| start + p)
        };
        out.push((ai, &b[start..end]));
        i = end;
    }
    Some(out)
}

/// GS1 mod-10 check digit of the digits before it.
fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().rev().enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// AI (17) YYMMDD in 20YY; day 00 stands for the month's last day.
fn valid_expiry(value: &[u8]) -> bool {
    let number = |s: &[u8]| s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    let (year, month, day) = (2000 + number(&value[..2]), number(&value[2..4]), number(&value[4..6]));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let last = match month {
        1..=12 if month == 2 => if leap { 29 } else { 28 },
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    day <= last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bracketed_and_raw() {
        let expected = Some(("010690123456789221SN001".to_owned(), "06901234567892".to_owned()));
        assert_eq!(parse_clean_gs1("(01)06901234567892(17)260200(10)B123(21)SN001"), expected);
        assert_eq!(parse_clean_gs1("010690123456789217260200\u{1d}21SN001\u{1d}10B1"), expected);
        assert_eq!(parse_clean_gs1("]d2010690123456789217260200\u{1d}21SN001"), expected);
        assert_eq!(parse_clean_gs1("0106901234567892172602001 0B123").is_none(), true);
    }

    #[test]
    fn leaves_the_rest_to_the_library() {
        for code in ["(01)06901234567893(21)A", "(01)06901234567892", "(01)06901234567892(17)261332(21)A",
                     "]d2 (01)06901234567892(21)A", "']d2(01)06901234567892(21)A", "ABC-12345", "(01)06901234567892(21)A(21)B"] {
            assert_eq!(parse_clean_gs1(code), None, "{code}");
        }
    }
}
