//! Format A: one interface envelope per line, read without building a document tree. Values stay
//! borrowed from the line; only the shapes the reference path reads the same way are accepted
//! (standard record nodes, ``drugtracinfo`` as a list, an object or a string). Any other line is
//! declined and read by the reference path.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::field::{sql_trim, Declined, Fast, Field};
use crate::record::{record_key, RawRecord, F_BCHNO, F_CODE, F_INFNO, F_INF_TIME, F_MED_LIST, F_NAME};

/// The record nodes of an envelope's ``input``, in the order they are tried; ``true`` for list nodes.
pub type Nodes = [(String, bool)];

/// A raw JSON value as a field: a string, null, a number token, or something else.
pub fn field(raw: &RawValue) -> Fast<Field<'_>> {
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => Field::Text(string(text)?),
        Some(b'n') => Field::Missing,
        Some(b'-' | b'0'..=b'9') => Field::Number(text),
        _ => Field::Other,
    })
}

fn string(text: &str) -> Fast<Cow<'_, str>> {
    let inner = &text[1..text.len() - 1];
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).map(Cow::Owned).map_err(|_| Declined)
    } else {
        Ok(Cow::Borrowed(inner))
    }
}

/// The records of one envelope line, numbered from 1, with envelope fields filled in. The line is
/// read in one pass; a shape the fast path does not take declines.
pub fn read_line<'a>(line: &'a str, nodes: &Nodes) -> Fast<Vec<RawRecord<'a>>> {
    let mut reader = serde_json::Deserializer::from_str(line);
    let envelope = EnvelopeSeed { nodes }.deserialize(&mut reader).map_err(|_| Declined)?;
    reader.end().map_err(|_| Declined)?;
    let mut records = envelope.input.ok_or(Declined)?.picked()?;
    let env = |raw: Option<&'a RawValue>| raw.map_or(Ok(Field::Missing), field);
    let (infno, code, name, inf_time) = (env(envelope.infno)?, env(envelope.code)?, env(envelope.name)?, env(envelope.inf_time)?);
    for record in &mut records {
        record.fields[F_INFNO] = infno.clone();
        record.fields[F_INF_TIME] = inf_time.clone();
        for (position, value) in [(F_CODE, &code), (F_NAME, &name)] {
            if matches!(&record.fields[position], Field::Missing) || matches!(&record.fields[position], Field::Text(t) if t.is_empty()) {
                record.fields[position] = value.clone();
            }
        }
    }
    Ok(records)
}

fn decline<E: de::Error>() -> E {
    E::custom("declined")
}

/// Keep the first value of a key; a key given twice declines (engines differ on which one wins).
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() { Err(decline()) } else { Ok(()) }
}

/// The keys of one object that the reader passes over (kept on the stack, at most 32): one given twice
/// declines too, as the reference path rejects every object (envelope, ``input``, record, code item) that
/// gives a key twice. An object with more keys than that declines.
#[derive(Default)]
struct OtherKeys<'de> {
    keys: [&'de str; 32],
    count: usize,
}

impl<'de> OtherKeys<'de> {
    fn skip<M: MapAccess<'de>>(&mut self, key: &'de str, map: &mut M) -> Result<(), M::Error> {
        if self.count == self.keys.len() || self.keys[..self.count].contains(&key) {
            return Err(decline());
        }
        self.keys[self.count] = key;
        self.count += 1;
        map.next_value::<IgnoredAny>().map(drop)
    }
}

struct Envelope<'a> {
    infno: Option<&'a RawValue>,
    code: Option<&'a RawValue>,
    name: Option<&'a RawValue>,
    inf_time: Option<&'a RawValue>,
    input: Option<Input<'a>>,
}

struct EnvelopeSeed<'n> {
    nodes: &'n Nodes,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Envelope<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Envelope<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an interface envelope")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut envelope = Envelope { infno: None, code: None, name: None, inf_time: None, input: None };
        let mut others = OtherKeys::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "infno" => set_once(&mut envelope.infno, map.next_value()?)?,
                "fixmedins_code" => set_once(&mut envelope.code, map.next_value()?)?,
                "fixmedins_name" => set_once(&mut envelope.name, map.next_value()?)?,
                "inf_time" => set_once(&mut envelope.inf_time, map.next_value()?)?,
                "input" => set_once(&mut envelope.input, map.next_value_seed(InputSeed { nodes: self.nodes })?)?,
                _ => others.skip(key, &mut map)?,
            }
        }
        Ok(envelope)
    }
}

/// The standard record nodes found in ``input``, by their position in the node list.
struct Input<'a> {
    found: Vec<Option<Vec<RawRecord<'a>>>>,
    nodes: Vec<bool>,
}

impl<'a> Input<'a> {
    /// The first standard node holding a record: a non-empty list node, or an object node with a row
    /// key or item code. No such node declines (the reference path's generic reading handles it).
    fn picked(self) -> Fast<Vec<RawRecord<'a>>> {
        for (records, is_list) in self.found.into_iter().zip(self.nodes) {
            let Some(records) = records else { continue };
            let holds = if is_list {
                !records.is_empty()
            } else {
                !matches!(records[0].fields[F_BCHNO], Field::Missing) || !matches!(records[0].fields[F_MED_LIST], Field::Missing)
            };
            if holds {
                return Ok(records);
            }
        }
        Err(Declined)
    }
}

struct InputSeed<'n> {
    nodes: &'n Nodes,
}

impl<'de> DeserializeSeed<'de> for InputSeed<'_> {
    type Value = Input<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InputSeed<'_> {
    type Value = Input<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an input object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut found: Vec<Option<Vec<RawRecord<'de>>>> = self.nodes.iter().map(|_| None).collect();
        let mut others = OtherKeys::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            match self.nodes.iter().position(|(name, _)| name == key) {
                Some(at) if self.nodes[at].1 => set_once(&mut found[at], map.next_value_seed(ListSeed)?)?,
                Some(at) => set_once(&mut found[at], vec![map.next_value_seed(RecordSeed { index: 1 })?])?,
                None => others.skip(key, &mut map)?,
            }
        }
        Ok(Input { found, nodes: self.nodes.iter().map(|(_, is_list)| *is_list).collect() })
    }
}

struct ListSeed;

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<RawRecord<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<RawRecord<'de>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a list of records")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut records = Vec::new();
        while let Some(record) = seq.next_element_seed(RecordSeed { index: records.len() as i32 + 1 })? {
            records.push(record);
        }
        Ok(records)
    }
}

struct RecordSeed {
    index: i32,
}

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = RawRecord<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = RawRecord<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a record object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut record = RawRecord { index: self.index, ..RawRecord::default() };
        let mut seen = [false; crate::record::FIELDS.len()];
        let (mut info, mut flat): (Option<Vec<Cow<'de, str>>>, Option<&'de RawValue>) = (None, None);
        let mut others = OtherKeys::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            if let Some(position) = record_key(key) {
                if std::mem::replace(&mut seen[position], true) {
                    return Err(decline());
                }
                record.fields[position] = field(map.next_value()?).map_err(|_| decline())?;
            } else if key == "drugtracinfo" {
                set_once(&mut info, map.next_value_seed(CodesSeed)?)?;
            } else if key == "drug_trac_codg" {
                set_once(&mut flat, map.next_value()?)?;
            } else {
                others.skip(key, &mut map)?;
            }
        }
        let mut cells = info.unwrap_or_default();
        if let Some(text) = flat.map_or(Ok(Field::Missing), field).and_then(|f| f.text().map(|t| t.map(str::to_owned))).map_err(|_| decline())? {
            cells.push(Cow::Owned(text));
        }
        record.codes = keep_code_cells(cells).map_err(|_| decline())?;
        Ok(record)
    }
}

/// ``drugtracinfo``: a list of ``{"drug_trac_codg": …}`` objects or strings, one such object, a
/// string, or null.
struct CodesSeed;

impl<'de> DeserializeSeed<'de> for CodesSeed {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CodesSeed {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("trace-code information")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut cells = Vec::new();
        while let Some(cell) = seq.next_element_seed(CodeSeed { in_list: true })? {
            cells.push(cell.ok_or_else(decline)?);
        }
        Ok(cells)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
        Ok(CodeSeed { in_list: false }.visit_map(map)?.into_iter().collect())
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Borrowed(text)])
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Owned(text.to_owned())])
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// One ``drugtracinfo`` item: a string, or an object's ``drug_trac_codg`` text. In a list, an object
/// without that text declines (engines read such items differently); alone, it means no code.
struct CodeSeed {
    in_list: bool,
}

impl<'de> DeserializeSeed<'de> for CodeSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CodeSeed {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a trace code")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut code: Option<Field<'de>> = None;
        let mut others = OtherKeys::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "drug_trac_codg" {
                set_once(&mut code, field(map.next_value()?).map_err(|_| decline())?)?;
            } else {
                others.skip(key, &mut map)?;
            }
        }
        match code {
            Some(Field::Text(text)) => Ok(Some(text)),
            None | Some(Field::Missing) if !self.in_list => Ok(None),
            _ => Err(decline()),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(text.to_owned())))
    }
}

/// Cells that are not empty once trimmed (kept as uploaded: a cell holding several codes is split
/// untrimmed); a cell with other whitespace at an end declines.
pub fn keep_code_cells(mut cells: Vec<Cow<'_, str>>) -> Fast<Vec<Cow<'_, str>>> {
    for cell in &cells {
        sql_trim(cell)?;
    }
    cells.retain(|cell| !cell.trim_matches(' ').is_empty());
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<(String, bool)> {
        vec![("selinfo".into(), false), ("selinfoDetail".into(), true)]
    }

    #[test]
    fn reads_a_detail_list_with_envelope_fields() {
        let line = r#"{"infno":"3505A","fixmedins_code":"P1","inf_time":"2025-01-01 00:00:00","input":{"selinfoDetail":[
            {"med_list_codg":"X","fixmedins_bchno":"b1","sel_retn_cnt":2.0,"drugtracinfo":[{"drug_trac_codg":"81"},{"drug_trac_codg":"82"}]},
            {"med_list_codg":"Y","fixmedins_bchno":"b2","fixmedins_code":"P2","drug_trac_codg":"83"}]}}"#;
        let records = read_line(line, &nodes()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].codes, vec!["81", "82"]);
        assert_eq!(records[1].fields[F_CODE].text().unwrap(), Some("P2"));
        assert_eq!(records[0].fields[F_CODE].text().unwrap(), Some("P1"));
        assert_eq!(records[1].index, 2);
        assert!(matches!(records[0].fields[F_MED_LIST], Field::Text(_)));
    }

    #[test]
    fn declines_shapes_it_does_not_know() {
        for line in [
            r#"{"infno":"3505","input":"{\"selinfo\":{}}"}"#,
            r#"{"infno":"3505","input":{"other":{"fixmedins_bchno":"b"}}}"#,
            r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"b","fixmedins_bchno":"c"}}}"#,
            r#"{"infno":"3505","msgid":"1","msgid":"2","input":{"selinfo":{"fixmedins_bchno":"b"}}}"#,
            r#"{"infno":"3505","input":{"x":1,"x":2,"selinfo":{"fixmedins_bchno":"b"}}}"#,
            r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"b","memo":"","memo":""}}}"#,
            r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"b","drugtracinfo":[{"drug_trac_codg":"1","x":1,"x":2}]}}}"#,
            r#"[1,2]"#,
            r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"b","drugtracinfo":[{"x":"1"}]}}}"#,
            r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"b","drug_trac_codg":"\t81"}}}"#,
            r#"not json"#,
        ] {
            assert!(read_line(line, &nodes()).is_err(), "{line}");
        }
    }

    #[test]
    fn unescapes_strings_and_keeps_numbers_as_tokens() {
        let line = r#"{"infno":"3505","input":{"selinfo":{"fixmedins_bchno":"a\u0042","sel_retn_cnt":1.50}}}"#;
        let record = &read_line(line, &nodes()).unwrap()[0];
        assert_eq!(record.fields[F_BCHNO].text().unwrap(), Some("aB"));
        assert_eq!(record.fields[17].number().unwrap(), Some(1.5));
    }
}
