//! The canonical event columns (``event_columns`` in ``fields.yaml``, in that order, then
//! ``file_index``) and how one prepared record becomes one row per code.

use crate::columns::{Buffer, Flags, Strings, Values};
use crate::normalize::{Class, Prepared};

/// One exported column: name, Arrow kind, validity bitmap (None: no nulls), data buffers.
pub type Exported = (&'static str, &'static str, Option<Buffer>, Vec<Buffer>);

macro_rules! columns {
    ($(#[$doc:meta])* $struct:ident { $($name:ident: $kind:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        pub struct $struct { $(pub $name: columns!(@type $kind),)* pub rows: usize }

        impl $struct {
            /// (name, kind) of each column, in order.
            pub const LAYOUT: &'static [(&'static str, &'static str)] = &[$((stringify!($name), stringify!($kind)),)*];

            /// Every column's buffers, in order.
            pub fn export(self) -> Vec<Exported> {
                vec![$({ let (validity, buffers) = self.$name.into_buffers(); (stringify!($name), stringify!($kind), validity, buffers) },)*]
            }
        }
    };
    (@type string) => { Strings };
    (@type timestamp) => { Values<i64> };
    (@type int64) => { Values<i64> };
    (@type int32) => { Values<i32> };
    (@type double) => { Values<f64> };
    (@type bool) => { Flags };
}

pub(crate) use columns;

columns! {
    /// Builders for every event column.
    EventColumns {
    event_id: string, event_type: string, event_time: timestamp, trace_code: string, code_raw: string,
    code_scheme: string, code_issue: string, code_product_id: string, med_list_codg: string,
    product_name: string, hilist_id: string, institution_code: string, institution_name: string,
    institution_type: string, region_code: string, chain_id: string, psn_no: string, certno: string,
    psn_name: string, setl_id: string, mdtrt_sn: string, receipt_no: string, split_flag: bool,
    quantity: double, record_quantity: double, record_code_count: int32, unit_price: double,
    amount: double, supplier: string, batch_no: string, change_type: string, record_no: string,
    ref_record_no: string, settle_type: string, family: string, interface: string,
    source_record: string, source_file: string, source_line: int64, record_index: int32,
    code_position: int32, upload_time: timestamp, file_index: int32,
    }
}

impl EventColumns {
    /// One row per code of the record (one row with an empty code when it carries none).
    pub fn push_record(&mut self, record: &Prepared<'_>, source_file: &str) {
        let count = record.codes.len();
        let quantity = record.record_quantity / count.max(1) as f64;
        let source_record = record.source_record();
        for position in 1..=count.max(1) {
            self.push_code(record, position);
            self.event_id.push_joined(&[&source_record, "#", &position.to_string()]);
            self.source_record.push(Some(&source_record));
            self.code_position.push(Some(position as i32));
            self.quantity.push(Some(quantity));
            self.amount.push(record.unit_price.map(|price| quantity * price));
            self.record_code_count.push(Some(count as i32));
            self.push_shared(record, source_file);
        }
    }

    fn push_code(&mut self, record: &Prepared<'_>, position: usize) {
        let Some(code) = record.codes.get(position - 1) else {
            self.trace_code.push(Some(""));
            self.code_raw.push(None);
            self.code_scheme.push(Some("none"));
            self.code_issue.push(None);
            self.code_product_id.push(None);
            return;
        };
        self.code_raw.push(Some(&code.raw));
        match &code.class {
            Class::Nmpa20 => {
                self.trace_code.push(Some(&code.raw));
                self.code_scheme.push(Some("nmpa20"));
                self.code_issue.push(None);
                self.code_product_id.push(Some(&code.raw[..7]));
            }
            Class::Parsed(parsed) => {
                self.trace_code.push(Some(&parsed.code));
                self.code_scheme.push(Some(&parsed.scheme));
                self.code_issue.push(Some(parsed.reason.as_str()).filter(|r| !r.is_empty()));
                self.code_product_id.push(Some(parsed.product_id.as_str()).filter(|p| !p.is_empty()));
            }
        }
    }

    /// The columns every code row of a record shares.
    fn push_shared(&mut self, r: &Prepared<'_>, source_file: &str) {
        self.event_type.push(Some(r.event_type));
        self.event_time.push(Some(r.event_time));
        for (column, value) in [
            (&mut self.med_list_codg, Some(r.med_list_codg)), (&mut self.product_name, r.product_name),
            (&mut self.hilist_id, r.hilist_id), (&mut self.institution_code, Some(&*r.institution_code)),
            (&mut self.institution_name, r.institution_name), (&mut self.institution_type, Some(r.institution_type)),
            (&mut self.region_code, r.region_code.as_deref()), (&mut self.chain_id, r.chain_id), (&mut self.psn_no, r.psn_no),
            (&mut self.certno, r.certno), (&mut self.psn_name, r.psn_name), (&mut self.setl_id, r.setl_id),
            (&mut self.mdtrt_sn, r.mdtrt_sn), (&mut self.receipt_no, r.receipt_no), (&mut self.supplier, r.supplier),
            (&mut self.batch_no, r.batch_no), (&mut self.change_type, r.change_type), (&mut self.record_no, Some(r.bchno)),
            (&mut self.ref_record_no, r.ref_record_no), (&mut self.settle_type, r.settle_type),
            (&mut self.family, Some(r.family)), (&mut self.interface, Some(r.interface)),
            (&mut self.source_file, Some(source_file)),
        ] {
            column.push(value);
        }
        self.split_flag.push(r.split_flag);
        self.record_quantity.push(Some(r.record_quantity));
        self.unit_price.push(r.unit_price);
        self.source_line.push(Some(r.line));
        self.record_index.push(Some(r.index));
        self.upload_time.push(r.upload_time);
        self.file_index.push(Some(r.file));
        self.rows += 1;
    }
}
