//! 3507 delete requests: the ones read by the fast path, and the ones known before the run's
//! records are read (whose records are kept out of the events, as the reference path does).

use std::borrow::Cow;
use rustc_hash::FxHashMap as HashMap;

use crate::columns::{Strings, Values};
use crate::events::{columns, Exported};
use crate::field::{Declined, Fast};
use crate::normalize::{institution_code, Context, Prepared};
use crate::record::{RawRecord, F_BCHNO, F_CODE, F_DATA_TYPE, F_INF_TIME};
use crate::timeparse::parse_micros;

columns! {
    /// Delete requests read by the fast path (the reference path's ``delete.parquet``).
    DeleteRequests {
        institution_code: string, record_no: string, delete_data_type: string, upload_time: timestamp,
        source_file: string, source_line: int64, record_index: int32, file_index: int32,
    }
}

columns! {
    /// Code rows kept out of the events because a known delete names their record (``deleted.parquet``),
    /// or because they are a later copy of a record this task already read (``duplicate.parquet``).
    DeletedRows {
        source_record: string, file_index: int32, source_line: int64, record_index: int32, code_position: int32,
    }
}

/// A checked 3507 record.
#[derive(Debug)]
pub struct Request<'r> {
    institution_code: Cow<'r, str>,
    record_no: &'r str,
    data_type: &'r str,
    upload_time: Option<i64>,
    line: i64,
    index: i32,
    file: i32,
}

/// Check a 3507 record (institution, row key and a known ``inv_data_type``), or decline.
pub fn prepare_request<'r>(r: &'r RawRecord<'r>, ctx: &Context) -> Fast<Request<'r>> {
    let data_type = r.get(F_DATA_TYPE).trimmed()?.filter(|k| ctx.delete_types.iter().any(|t| t == k));
    Ok(Request {
        institution_code: institution_code(r.get(F_CODE))?,
        record_no: r.get(F_BCHNO).trimmed()?.ok_or(Declined)?,
        data_type: data_type.ok_or(Declined)?,
        upload_time: r.get(F_INF_TIME).trimmed()?.map(|t| parse_micros(t, ctx.times)).transpose()?,
        line: r.line,
        index: r.index,
        file: r.file,
    })
}

impl DeleteRequests {
    pub fn push(&mut self, request: &Request<'_>, source_file: &str) {
        self.institution_code.push(Some(&request.institution_code));
        self.record_no.push(Some(request.record_no));
        self.delete_data_type.push(Some(request.data_type));
        self.upload_time.push(request.upload_time);
        self.source_file.push(Some(source_file));
        self.source_line.push(Some(request.line));
        self.record_index.push(Some(request.index));
        self.file_index.push(Some(request.file));
        self.rows += 1;
    }
}

/// One known delete: the families its data type deletes from, and when it was uploaded.
#[derive(Debug, Clone)]
pub struct KnownDelete {
    pub families: Vec<String>,
    pub upload_time: Option<i64>,
}

/// Known deletes by row key, then institution.
#[derive(Debug, Default)]
pub struct KnownDeletes(pub HashMap<String, HashMap<String, Vec<KnownDelete>>>);

impl KnownDeletes {
    pub fn add(&mut self, institution: String, record_no: String, delete: KnownDelete) {
        self.0.entry(record_no).or_default().entry(institution).or_default().push(delete);
    }

    /// Whether a known delete names this record (uploaded no later than the delete).
    pub fn names(&self, record: &Prepared<'_>) -> bool {
        let found = self.0.get(record.bchno).and_then(|by_institution| by_institution.get(record.institution_code.as_ref()));
        found.is_some_and(|found| {
            found.iter().any(|d| {
                d.families.iter().any(|f| f == record.family)
                    && match (d.upload_time, record.upload_time) {
                        (Some(deleted), Some(uploaded)) => uploaded <= deleted,
                        _ => true,
                    }
            })
        })
    }
}

impl DeletedRows {
    /// The code rows of a record a known delete names.
    pub fn push_record(&mut self, record: &Prepared<'_>) {
        let source_record = record.source_record();
        for position in 1..=record.codes.len().max(1) {
            self.source_record.push(Some(&source_record));
            self.file_index.push(Some(record.file));
            self.source_line.push(Some(record.line));
            self.record_index.push(Some(record.index));
            self.code_position.push(Some(position as i32));
            self.rows += 1;
        }
    }
}

