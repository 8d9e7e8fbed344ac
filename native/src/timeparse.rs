//! Business and upload times in the two renderings nearly every upload uses:
//! ``yyyy-MM-dd HH:mm:ss`` and ``yyyy-MM-dd``. Other renderings are declined (the reference path
//! reads the full list of formats declared in ``fields.yaml``).

use crate::field::{Declined, Fast};

/// Which renderings the fast path may read; set from the declared format list.
#[derive(Debug, Clone, Copy)]
pub struct TimeRules {
    pub datetime: bool,
    pub date: bool,
}

/// Microseconds since 1970-01-01 of a time text, or decline.
pub fn parse_micros(text: &str, rules: TimeRules) -> Fast<i64> {
    let b = text.as_bytes();
    let (with_time, date_ok) = match b.len() {
        19 if rules.datetime => (true, b[10] == b' ' && b[13] == b':' && b[16] == b':'),
        10 if rules.date => (false, true),
        _ => return Err(Declined),
    };
    if !date_ok || b[4] != b'-' || b[7] != b'-' {
        return Err(Declined);
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let (hour, minute, second) = if with_time {
        (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?)
    } else {
        (0, 0, 0)
    };
    let valid = (1900..=2200).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return Err(Declined);
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Ok(seconds * 1_000_000)
}

fn digits(bytes: &[u8]) -> Fast<i64> {
    bytes.iter().try_fold(0i64, |acc, b| {
        if b.is_ascii_digit() { Ok(acc * 10 + i64::from(b - b'0')) } else { Err(Declined) }
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian), after H. Hinnant's ``days_from_civil``.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: TimeRules = TimeRules { datetime: true, date: true };

    #[test]
    fn reads_the_two_renderings() {
        assert_eq!(parse_micros("1970-01-02 00:00:01", BOTH), Ok(86_401_000_000));
        assert_eq!(parse_micros("2024-02-29", BOTH), Ok(1_709_164_800_000_000));
    }

    #[test]
    fn declines_what_it_cannot_be_sure_of() {
        for text in ["2025-02-30", "2025-1-05", "2025-01-05 24:00:00", "2025/01/05", " 2025-01-05", "2025-01-05T10:00:00"] {
            assert_eq!(parse_micros(text, BOTH), Err(Declined), "{text}");
        }
        assert_eq!(parse_micros("2025-01-05", TimeRules { datetime: true, date: false }), Err(Declined));
    }
}
