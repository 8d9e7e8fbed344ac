//! A raw record: the NHSA fields the normaliser reads, by fixed position, plus its code cells and
//! where it came from. Both readers (format-A lines and raw tables) fill this one shape.

use std::borrow::Cow;

use crate::field::Field;

/// The fields a record may carry, in the positions the ``F_*`` constants name. ``drug_trac_codg``
/// and ``drugtracinfo`` become the record's code cells instead.
pub const FIELDS: [&str; 34] = [
    "infno", "fixmedins_code", "fixmedins_name", "inf_time", "med_list_codg", "fixmedins_hilist_id",
    "fixmedins_hilist_name", "fixmedins_bchno", "manu_lotnum", "setl_id", "mdtrt_sn", "psn_no", "certno",
    "psn_name", "trdn_flag", "finl_trns_pric", "rtal_docno", "sel_retn_cnt", "sel_retn_time",
    "mdtrt_setl_type", "medins_prod_sel_no", "spler_name", "purc_retn_cnt", "purc_retn_stoin_time",
    "medins_prod_purc_no", "inv_chg_type", "pric", "cnt", "inv_chg_time", "invdate", "inv_cnt",
    "inv_data_type", "any_cnt", "any_time",
];
pub const F_INFNO: usize = 0;
pub const F_CODE: usize = 1;
pub const F_NAME: usize = 2;
pub const F_INF_TIME: usize = 3;
pub const F_MED_LIST: usize = 4;
pub const F_HILIST_ID: usize = 5;
pub const F_HILIST_NAME: usize = 6;
pub const F_BCHNO: usize = 7;
pub const F_LOTNUM: usize = 8;
pub const F_SETL_ID: usize = 9;
pub const F_MDTRT_SN: usize = 10;
pub const F_PSN_NO: usize = 11;
pub const F_CERTNO: usize = 12;
pub const F_PSN_NAME: usize = 13;
pub const F_TRDN: usize = 14;
pub const F_RTAL_DOCNO: usize = 16;
pub const F_SETL_TYPE: usize = 19;
pub const F_SEL_NO: usize = 20;
pub const F_SUPPLIER: usize = 21;
pub const F_PURC_NO: usize = 24;
pub const F_CHG_TYPE: usize = 25;
pub const F_DATA_TYPE: usize = 31;
pub const F_ANY_CNT: usize = 32;
pub const F_ANY_TIME: usize = 33;

/// The position of a field name in [`FIELDS`].
pub fn field_index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|field| *field == name)
}

/// The position of a key inside a format-A record object (``infno`` and ``inf_time`` belong to the
/// envelope and are ignored there). A ``match`` keeps this lookup cheap: it runs for every key.
pub fn record_key(key: &str) -> Option<usize> {
    Some(match key {
        "fixmedins_code" => 1, "fixmedins_name" => 2, "med_list_codg" => 4, "fixmedins_hilist_id" => 5,
        "fixmedins_hilist_name" => 6, "fixmedins_bchno" => 7, "manu_lotnum" => 8, "setl_id" => 9,
        "mdtrt_sn" => 10, "psn_no" => 11, "certno" => 12, "psn_name" => 13, "trdn_flag" => 14,
        "finl_trns_pric" => 15, "rtal_docno" => 16, "sel_retn_cnt" => 17, "sel_retn_time" => 18,
        "mdtrt_setl_type" => 19, "medins_prod_sel_no" => 20, "spler_name" => 21, "purc_retn_cnt" => 22,
        "purc_retn_stoin_time" => 23, "medins_prod_purc_no" => 24, "inv_chg_type" => 25, "pric" => 26,
        "cnt" => 27, "inv_chg_time" => 28, "invdate" => 29, "inv_cnt" => 30, "inv_data_type" => 31,
        "any_cnt" => 32, "any_time" => 33,
        _ => return None,
    })
}

/// One record ready for normalisation.
#[derive(Debug)]
pub struct RawRecord<'a> {
    pub fields: [Field<'a>; FIELDS.len()],
    /// The code cells, untrimmed, empty ones already dropped.
    pub codes: Vec<Cow<'a, str>>,
    pub line: i64,
    pub index: i32,
    pub file: i32,
}

impl Default for RawRecord<'_> {
    fn default() -> Self {
        RawRecord { fields: std::array::from_fn(|_| Field::Missing), codes: Vec::new(), line: 0, index: 0, file: 0 }
    }
}

impl<'a> RawRecord<'a> {
    pub fn get(&self, field: usize) -> &Field<'a> {
        &self.fields[field]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_match_the_field_list() {
        for (index, name) in FIELDS.iter().enumerate() {
            let expected = if matches!(*name, "infno" | "inf_time") { None } else { Some(index) };
            assert_eq!(record_key(name), expected, "{name}");
        }
        assert_eq!(field_index("any_time"), Some(F_ANY_TIME));
        assert_eq!(FIELDS[F_CHG_TYPE], "inv_chg_type");
        assert_eq!(FIELDS[F_PURC_NO], "medins_prod_purc_no");
        assert_eq!(FIELDS[F_SETL_TYPE], "mdtrt_setl_type");
        assert_eq!(FIELDS[F_DATA_TYPE], "inv_data_type");
    }
}
